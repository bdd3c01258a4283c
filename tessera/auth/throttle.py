"""Rate limiting of failed sign-ins per username and client address, kept in the database so
that every process of an installation counts the same failures.

After ``MAX_FAILURES`` failures within ``WINDOW`` the pair is refused until the oldest of them
leaves the window; a success clears the pair's failures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tessera.auth.models import LOGIN_FAILURES
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["MAX_FAILURES", "WINDOW", "retry_after", "record_failure", "clear_failures"]

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def retry_after(bind: Bind, username: str, client_ip: str) -> int:
    """Seconds until this username may try again from this address (0: allowed now)."""
    now = utcnow()
    with transaction(bind) as conn:
        times = conn.execute(
            sa.select(LOGIN_FAILURES.c.created_at)
            .where(LOGIN_FAILURES.c.username == _key(username),
                   LOGIN_FAILURES.c.client_ip == client_ip[:64],
                   LOGIN_FAILURES.c.created_at > now - WINDOW)
            .order_by(LOGIN_FAILURES.c.created_at.desc()).limit(MAX_FAILURES)).scalars().all()
    if len(times) < MAX_FAILURES:
        return 0
    return max(1, int((min(times) + WINDOW - now).total_seconds()))


def record_failure(bind: Bind, username: str, client_ip: str) -> None:
    now = utcnow()
    with transaction(bind) as conn:
        conn.execute(LOGIN_FAILURES.delete().where(LOGIN_FAILURES.c.created_at < now - WINDOW))
        conn.execute(LOGIN_FAILURES.insert().values(username=_key(username),
                                                    client_ip=client_ip[:64], created_at=now))


def clear_failures(bind: Bind, username: str, client_ip: str) -> None:
    with transaction(bind) as conn:
        conn.execute(LOGIN_FAILURES.delete().where(LOGIN_FAILURES.c.username == _key(username),
                                                   LOGIN_FAILURES.c.client_ip == client_ip[:64]))
