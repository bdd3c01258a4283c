"""Staff accounts for sample data: the consultants and callers a generator assigns customers
and tasks to must be real users (``user`` fields hold user ids).

``ensure_users`` returns the id of each username, creating the missing ones **without a
usable password**: they cannot sign in until an admin sets one (``tessera user passwd``, or
``tessera demo``, which sets demo passwords and prints them). Creating them without hashing
keeps a sample load fast (an Argon2 hash costs most of a second)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.auth.models import USERS
from tessera.fields.sqltypes import utcnow

__all__ = ["ensure_users", "NO_PASSWORD"]

# Not an Argon2 hash: verification fails (InvalidHashError → False), so nobody signs in with it.
NO_PASSWORD = "!sample-account-without-password"


def ensure_users(conn: Connection, usernames: Sequence[str]) -> dict[str, int]:
    """Username → user id for every name, creating missing users (active, no password)."""
    found = {r.username: int(r.id) for r in conn.execute(
        sa.select(USERS.c.id, USERS.c.username).where(USERS.c.username.in_(list(usernames))))}
    for name in usernames:
        if name not in found:
            found[name] = int(conn.execute(USERS.insert().values(
                username=name, password_hash=NO_PASSWORD, is_admin=False, is_active=True,
                created_at=utcnow())).inserted_primary_key[0])
    return found
