"""Small key/value settings in the metadata database (``auth_settings``).

Kept in the database rather than a file so that every web and worker process of one
installation sees the same values: the generated session secret and the outbound allowlist."""

from __future__ import annotations

import os
import secrets
from typing import Any

import sqlalchemy as sa

from tessera.auth.models import SETTINGS
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["get_setting", "set_setting", "secret_key", "SECRET_KEY_ENV"]

SECRET_KEY_ENV = "TESSERA_SECRET_KEY"


def get_setting(bind: Bind, key: str, default: Any = None) -> Any:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == key)).first()
    return default if row is None else row.value


def set_setting(bind: Bind, key: str, value: Any) -> None:
    with transaction(bind) as conn:
        updated = conn.execute(SETTINGS.update().where(SETTINGS.c.key == key)
                               .values(value=value, updated_at=utcnow())).rowcount
        if not updated:
            conn.execute(SETTINGS.insert().values(key=key, value=value, updated_at=utcnow()))


def secret_key(bind: Bind) -> str:
    """``TESSERA_SECRET_KEY`` if set, else a random key generated once and stored in the
    metadata database (so restarts and several processes keep sessions valid)."""
    explicit = os.environ.get(SECRET_KEY_ENV, "").strip()
    if explicit:
        return explicit
    stored = get_setting(bind, "secret_key")
    if stored:
        return str(stored)
    candidate = secrets.token_urlsafe(48)
    try:
        with transaction(bind) as conn:
            conn.execute(SETTINGS.insert().values(key="secret_key", value=candidate,
                                                  updated_at=utcnow()))
    except sa.exc.IntegrityError:  # another process generated it first: use theirs
        pass
    return str(get_setting(bind, "secret_key"))
