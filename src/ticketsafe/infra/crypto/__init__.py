"""Cryptographic primitives for data at rest: AES-256-GCM sealing (`aead`), the master key
ring that wraps per-person data keys (`keyring`), and keyed blind indexes (`blind_index`).

The per-person PII vault built on these lives in `ticketsafe.infra.vault`
(beside this package: it also owns a collection, `data_keys`)."""
