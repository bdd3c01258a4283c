"""Permission changes go to the audit log (``tessera.auth.audit.record``) in the caller's
transaction, so a grant and its audit entry commit or roll back together."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.auth.audit import record
from tessera.auth.principal import Principal

__all__ = ["audit"]


def audit(conn: sa.Connection, actor: Principal, action: str, target: str,
          detail: dict[str, Any]) -> None:
    record(conn, actor, action, target, detail)
