"""Operations: health, readiness, metrics (later: backup and restore)."""
