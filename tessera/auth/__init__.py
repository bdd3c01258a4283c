"""Identity: who is asking (the :class:`~tessera.auth.principal.Principal` every request, CLI
command and automation acts as), and the safety nets around it.

users       accounts and groups; Argon2id passwords (passwords.py)
sessions    browser sessions (signed cookie → session row), settings.py holds the secret key
tokens      API tokens: hashed, scoped to bases, revocable
throttle    failed sign-in limits per username and address, in the database
middleware  authentication and CSRF for every request; request.py reads the result
pages       /login, /logout, /setup; admin_pages: /admin/audit, /admin/trash
audit       the audit log; api_audit records API schema changes and exports
outbound    the SSRF guard of webhook and email actions
See docs/security.md. Authorization (roles, field permissions, row rules) is tessera/access.
"""
