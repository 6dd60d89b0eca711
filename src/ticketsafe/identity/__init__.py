"""Identity: users, roles, organizations and authentication."""
