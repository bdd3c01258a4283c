"""Users, sessions, api tokens, audit log, trash."""
