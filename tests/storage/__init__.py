"""Storage tests: every case on SQLite and PostgreSQL."""
