"""Process roles: `api`, `worker`, and `serve` (everything in one process, for a laptop)."""
