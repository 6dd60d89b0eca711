"""Encrypted, streamed backups of the system of record to S3-compatible storage or a
local directory: create, list, verify, restore, prune (see docs/backups.md)."""
