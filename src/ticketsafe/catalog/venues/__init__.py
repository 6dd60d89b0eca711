"""Venues: seat maps (sections, rows, seats, GA areas) imported from JSON or CSV,
validated, stored in chunks, and exported again."""
