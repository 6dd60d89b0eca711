"""Check-in: gate scans (one verifier online and offline), offline bundles per device,
the gate CLI and sync."""
