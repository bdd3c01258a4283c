"""Access fixtures: one migrated database per module and backend, holding a small clinic world
— a base with 顾客 (customers, each owned by a consultant through a ``user`` field) and 回访
(visits linking to customers), one user per role plus an outsider, API tokens for each, and
the rules the whole suite checks:

* editor, commenter, viewer see only the customers they own: ``{负责人} = CURRENT_USER()``;
* 电话 (phone) is hidden from commenters and viewers; 等级 (grade) is read-only for editors.

``World`` also makes fresh targets (records, tables, views…) so every matrix case starts from
the same state without rebuilding the database."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tessera import access
from tessera import schema_ops as schema
from tessera.auth.principal import Principal
from tessera.auth.tokens import create_token
from tessera.auth.users import create_user
from tessera.records import RecordService
from tessera.testing.databases import migrated_engine

BACKENDS = [b.strip() for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql")
            .split(",") if b.strip()]
ROLES = ("owner", "admin", "editor", "commenter", "viewer")
PEOPLE = (*ROLES, "outsider")
RESTRICTED = ("editor", "commenter", "viewer")  # the roles with the row rule
RULE = "{负责人} = CURRENT_USER()"
_serial = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    server = request.getfixturevalue("pg_server_url") if request.param == "postgresql" else None
    with migrated_engine(request.param, sqlite_dir=tmp_path_factory.mktemp("access"),
                         pg_server_url=server, prefix="acc_") as eng:
        yield eng


@dataclass
class Person:
    role: str
    user_id: int
    username: str
    token: str

    @property
    def principal(self) -> Principal:
        return Principal(self.user_id, self.username)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    engine: Engine
    base_id: int
    customers: schema.TableInfo
    visits: schema.TableInfo
    view_id: int
    people: dict[str, Person]
    rows: dict[str, int] = field(default_factory=dict)  # "<role>" → an own customer, "other"

    def person(self, role: str) -> Person:
        return self.people[role]

    def customer(self, owner: str | None, name: str | None = None, **values: Any) -> int:
        """A new customer owned by ``owner`` (a role name; None: nobody), as SYSTEM."""
        row = {"姓名": name or f"顾客{next(_serial)}", "等级": "C", "电话": "138 0000 0000",
               **values}
        if owner is not None:
            row["负责人"] = self.people[owner].user_id
        return int(RecordService(self.engine).create(self.customers.id, row)["id"])

    def own_or_other(self, role: str, which: str) -> int:
        """A fresh customer: owned by ``role``'s user ("own") or by the owner ("other")."""
        owner = role if which == "own" and role in PEOPLE else "owner"
        return self.customer(owner)


def _people(engine: Engine) -> dict[str, Person]:
    tag = uuid.uuid4().hex[:6]
    people = {}
    for role in PEOPLE:
        name = f"{role}_{tag}"
        uid = create_user(engine, name, "password-" + tag * 2)
        people[role] = Person(role, uid, name, create_token(engine, uid, name="tests")[1])
    return people


@pytest.fixture(scope="module")
def people(engine: Engine) -> dict[str, Person]:
    return _people(engine)


def build_world(engine: Engine, people: dict[str, Person]) -> World:
    base = schema.create_base(engine, f"诊所 {next(_serial)}")
    customers = schema.create_table(engine, base.id, "顾客", primary_field="姓名", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("等级", "text"),
        schema.FieldSpec("电话", "text")])
    visits = schema.create_table(engine, base.id, "回访", primary_field="主题", fields=[
        schema.FieldSpec("顾客", "link", {"target_table_id": customers.id})])
    view = schema.create_view(engine, customers.id, "全部顾客")
    for role in ROLES:
        access.grant(engine, base.id, role, user_id=people[role].user_id)
    for role in RESTRICTED:
        access.set_row_rule(engine, customers.id, role, RULE)
    phone, grade = customers.field("电话").id, customers.field("等级").id
    access.set_field_permission(engine, phone, "commenter", "hidden")
    access.set_field_permission(engine, phone, "viewer", "hidden")
    access.set_field_permission(engine, grade, "editor", "read_only")
    world = World(engine, base.id, schema.get_table(engine, customers.id),
                  schema.get_table(engine, visits.id), view.id, people)
    for role in PEOPLE:
        world.rows[role] = world.customer(role, name=f"{role}的顾客")
    world.rows["other"] = world.customer(None, name="无人负责的顾客")
    return world


@pytest.fixture(scope="module")
def world(engine: Engine, people: dict[str, Person]) -> World:
    """One world per module: tests that change it make their own targets."""
    return build_world(engine, people)
