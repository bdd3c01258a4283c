"""Base roles, field permissions, row-level rules."""
