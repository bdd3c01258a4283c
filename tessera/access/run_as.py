"""Automation "run as": the principal an automation's runs act as (docs/access.md).

Every automation has one row in ``access_run_as``: the user who created it and the user its
runs act as — by default its creator, or another member of the base chosen by an owner or
schema admin — or SYSTEM, which only an owner may choose explicitly (and which the server's
operator gets for automations made outside a request: CLI, packs installed by the operator).

While a run executes, the runner makes this principal the acting one, so the trigger record,
conditions, templates and the actions' record reads and writes go through the same scope
machinery (row rules and field permissions) as that user's own requests. When the user was
removed, disabled or lost their role, :func:`run_as_principal` refuses (the run fails with a
readable log line); a trigger record outside their row rule makes the run skip.

Who may choose whom (checked on create and on every update that changes what runs):
* yourself: always (you already hold automations.write on the base);
* another user: they must be active members of the base, and an admin may not pick an owner
  (nobody acts with more rights than their own role gives them);
* SYSTEM: owners only (site administrators count as owners of every base).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.access.audit import audit
from tessera.access.errors import ForbiddenError
from tessera.access.members import role_of
from tessera.access.models import RUN_AS
from tessera.access.roles import rank
from tessera.access.scope import base_in_trash, remember_base, require, table_scope
from tessera.auth.models import TRASH, USERS
from tessera.auth.principal import SYSTEM, Principal
from tessera.errors import SchemaError, TesseraError
from tessera.schema.catalog import TableInfo

__all__ = ["RunAs", "RunAsRefused", "RUN_AS_SCHEMA", "get_run_as", "set_run_as",
           "check_may_run_as", "run_as_principal", "scoped_table"]

# The JSON a client sends (and reads back, with ``username`` and ``created_by`` added).
RUN_AS_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"], "additionalProperties": False,
    "description": "who the automation's runs act as: {\"kind\": \"user\", \"user_id\": N} "
                   "or {\"kind\": \"system\"} (owners only); omitted: the creator",
    "properties": {"kind": {"type": "string", "enum": ["user", "system"]},
                   "user_id": {"type": ["integer", "null"], "minimum": 1,
                               "maximum": 2147483647}}}


@dataclass(frozen=True)
class RunAs:
    automation_id: int
    created_by: int | None
    user_id: int | None
    system: bool
    username: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "system" if self.system else "user", "user_id": self.user_id,
                "username": self.username, "created_by": self.created_by}


class RunAsRefused(TesseraError):
    """The run may not act: its user lost access (``skip`` False: the run fails) or the
    trigger record is outside what the user may see (``skip`` True: the run is skipped)."""

    code = "run_as_refused"

    def __init__(self, message_en: str, message_zh: str, *, skip: bool = False) -> None:
        super().__init__(message_en, message_zh, code=self.code)
        self.skip = skip


def get_run_as(conn: Connection, automation_id: int) -> RunAs | None:
    row = conn.execute(sa.select(RUN_AS, USERS.c.username)
                       .select_from(RUN_AS.outerjoin(USERS, USERS.c.id == RUN_AS.c.user_id))
                       .where(RUN_AS.c.automation_id == automation_id)).first()
    if row is None:
        return None
    return RunAs(row.automation_id, row.created_by, row.user_id, bool(row.is_system),
                 row.username)


def _wanted(actor: Principal, requested: Mapping[str, Any] | None,
            current: RunAs | None) -> tuple[int | None, bool]:
    """(user id, system) the request asks for; omitted: unchanged, or the creator."""
    if requested is None:
        if current is not None:
            return current.user_id, current.system
        return actor.user_id, actor.user_id is None
    if requested.get("kind") == "system":
        return None, True
    user_id = requested.get("user_id")
    if user_id is None:
        user_id = actor.user_id
    if user_id is None:
        raise SchemaError("Choose the user this automation runs as (run_as.user_id).",
                          "请选择此自动化以哪个用户身份运行（run_as.user_id）。",
                          code="invalid_run_as")
    if not 0 < int(user_id) < 2**31:
        raise SchemaError(f"There is no user {user_id}; choose an active member of this base.",
                          f"不存在用户 {user_id}；请选择本数据库的一名有效成员。",
                          code="invalid_run_as", details={"user_id": user_id})
    return int(user_id), False


def check_may_run_as(conn: Connection, actor: Principal, base_id: int, user_id: int | None,
                     system: bool) -> None:
    """Raise 403/400 unless ``actor`` may make an automation of the base act as this."""
    if not system and user_id is not None and user_id == actor.user_id:
        return   # acting as yourself needs no more than the route's own check
    role = require(conn, actor, "automations.write", base_id)
    if system:
        if role != "owner":
            raise ForbiddenError(
                "Only a base owner may let an automation run as the system (with every "
                "right); choose a user instead.",
                "只有数据库所有者可以让自动化以系统身份（拥有全部权限）运行；请改选一个用户。",
                code="forbidden", details={"run_as": "system", "role": role})
        return
    user = conn.execute(sa.select(USERS).where(USERS.c.id == user_id)).first()
    if user is None or not user.is_active:
        raise SchemaError(f"User {user_id} does not exist or is disabled; choose an active "
                          "member of this base to run the automation as.",
                          f"用户 {user_id} 不存在或已停用；请选择本数据库的一名有效成员作为运行身份。",
                          code="invalid_run_as", details={"user_id": user_id})
    target = Principal(user.id, user.username, is_admin=bool(user.is_admin))
    their_role = role_of(conn, target, base_id)
    if their_role is None:
        raise SchemaError(f"{user.username} holds no role on this base; grant them one first "
                          "or choose a member.",
                          f"{user.username} 在此数据库中没有角色；请先授予角色或选择其他成员。",
                          code="invalid_run_as", details={"user_id": user_id})
    if rank(their_role) < rank(role):
        raise ForbiddenError(
            f"{user.username} is {their_role} here, a stronger role than yours ({role}); an "
            "automation may not act with more rights than you have. Choose yourself or a "
            "user with your role or a weaker one.",
            f"{user.username} 在此的角色（{their_role}）高于您的角色（{role}）；自动化不能拥有比您更多的"
            "权限。请选择您自己或角色不高于您的用户。",
            code="forbidden", details={"user_id": user_id, "role": role})


def set_run_as(conn: Connection, actor: Principal, automation_id: int, base_id: int,
               requested: Mapping[str, Any] | None, *, changes_program: bool = True) -> RunAs:
    """Store who the automation runs as, after checking ``actor`` may choose it. Also called
    on every update that changes what runs (``changes_program``): an editor may not change
    the steps of an automation that acts as someone they may not act as."""
    current = get_run_as(conn, automation_id)
    user_id, system = _wanted(actor, requested, current)
    if requested is not None or changes_program:
        check_may_run_as(conn, actor, base_id, user_id, system)
    values = {"user_id": None if system else user_id, "is_system": system}
    if current is None:
        conn.execute(sa.insert(RUN_AS).values(automation_id=automation_id,
                                              created_by=actor.user_id, **values))
    elif (current.user_id, current.system) != (values["user_id"], system):
        conn.execute(sa.update(RUN_AS).where(RUN_AS.c.automation_id == automation_id)
                     .values(**values))
        audit(conn, actor, "automation.run_as", f"automation:{automation_id}",
              {"user_id": values["user_id"], "system": system})
    found = get_run_as(conn, automation_id)
    assert found is not None
    return found


def run_as_principal(conn: Connection, automation_id: int, base_id: int) -> Principal:
    """The principal a run of the automation acts as (raises RunAsRefused). One query (two
    for a user: their role is checked too), as it runs once per automation run."""
    closed = sa.exists().where(TRASH.c.base_id == base_id, TRASH.c.kind == "base")
    row = conn.execute(
        sa.select(RUN_AS.c.user_id, RUN_AS.c.is_system, USERS.c.username, USERS.c.is_active,
                  USERS.c.is_admin, closed.label("closed"))
        .select_from(RUN_AS.outerjoin(USERS, USERS.c.id == RUN_AS.c.user_id))
        .where(RUN_AS.c.automation_id == automation_id)).first()
    if row is not None and row.closed:
        raise RunAsRefused("The automation's base is in the trash: run skipped.",
                           "自动化所在的数据库在回收站中：已跳过本次运行。", skip=True)
    if row is None:
        if base_in_trash(conn, base_id):
            raise RunAsRefused("The automation's base is in the trash: run skipped.",
                               "自动化所在的数据库在回收站中：已跳过本次运行。", skip=True)
        raise RunAsRefused(
            f"Automation {automation_id} has no run-as user recorded; an owner must choose "
            "who it runs as (run_as) before it can run.",
            f"自动化 {automation_id} 没有记录运行身份；需要所有者先设置运行身份（run_as）才能运行。")
    if row.is_system:
        return SYSTEM
    if row.username is None or not row.is_active:
        state = "was removed" if row.username is None else "is disabled"
        state_zh = "已被删除" if row.username is None else "已被停用"
        raise RunAsRefused(
            f"The automation runs as user {row.username or row.user_id}, who {state}; "
            "nothing was done. An owner or admin must choose another run-as user.",
            f"自动化的运行身份用户 {row.username or row.user_id} {state_zh}，未执行任何操作。"
            "请所有者或管理员改选运行身份。")
    principal = Principal(row.user_id, row.username, is_admin=bool(row.is_admin))
    role = role_of(conn, principal, base_id)
    remember_base(principal, base_id, in_trash=False, role=role)  # the run's scopes reuse them
    if role is None:
        raise RunAsRefused(
            f"The automation runs as {row.username}, who no longer holds a role on this "
            "base; nothing was done. Grant them a role again or choose another run-as user.",
            f"自动化的运行身份 {row.username} 已不再拥有此数据库的角色，未执行任何操作。"
            "请重新授予角色或改选运行身份。")
    return principal


def scoped_table(conn: Connection, principal: Principal, table: TableInfo) -> TableInfo:
    """The table as the principal sees it (hidden fields removed)."""
    if principal.is_system:
        return table
    return table_scope(conn, principal, table, "records.read").table
