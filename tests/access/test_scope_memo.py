"""The access scope is read once per request (grid block) and once per automation run
(``tessera.access.scope.scope_memo``), and still follows every access change at once: a
revoked role, a newly hidden field and a base in the trash apply to the very next request
(SQLite and PostgreSQL). The statement counts fail when the memo is switched off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

import tessera.workflow as wf
from tessera import access
from tessera.access.context import acting
from tessera.access.scope import scope_memo, table_scope
from tessera.auth.principal import SYSTEM, Principal
from tessera.auth.users import create_user
from tessera.records import RecordService
from tessera.trash import delete_base
from tessera.web import create_app
from tessera.web.grid import read_block

from .conftest import Person, World, build_world

ACCESS_TABLES = ("access_memberships", "access_field_permissions", "access_row_rules",
                 "trash_items", "auth_groups")


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine, embedded_worker=False)) as c:
        yield c


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _reads_of(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if f"FROM {table}" in s)


def test_a_block_reads_the_access_state_once(world: World) -> None:
    editor = world.person("editor").principal
    for _ in range(250):   # two blocks: block 1 goes through the position index
        world.customer("editor")
    with acting(editor):
        read_block(world.engine, world.customers.id, 1)   # builds the position index
        with _statements(world.engine) as seen:
            block = read_block(world.engine, world.customers.id, 1)
    assert block["rows"] and all(r["fields"].get(str(world.customers.field("负责人").id))
                                 == editor.user_id for r in block["rows"])
    for table in ACCESS_TABLES:
        assert _reads_of(seen, table) <= 1, (table, seen)
    assert _reads_of(seen, "access_memberships") == 1   # the role is still read per request


def test_the_memo_lasts_one_block_only(world: World) -> None:
    editor = world.person("editor").principal
    with _statements(world.engine) as seen, world.engine.connect() as conn:
        with scope_memo():
            first = table_scope(conn, editor, world.customers.id)
            inside = len(seen)
            again = table_scope(conn, editor, world.customers.id)
            assert again is first   # (the table's metadata stamp may be read again)
            assert not any(_reads_of(seen[inside:], t) for t in ACCESS_TABLES), seen[inside:]
        table_scope(conn, editor, world.customers.id)
        assert _reads_of(seen[inside:], "access_memberships") == 1   # read afresh outside


def _block(client: TestClient, person: Person, table_id: int) -> tuple[int, dict[str, object]]:
    response = client.get(f"/ui/tables/{table_id}/grid/block", params={"b": 0},
                          headers=person.headers)
    return response.status_code, (response.json() if response.status_code == 200 else {})


def test_access_changes_apply_to_the_next_request(engine: Engine, people: dict[str, Person],
                                                  client: TestClient) -> None:
    own = build_world(engine, people)   # this test revokes and trashes: its own base
    table_id = own.customers.id
    editor, viewer = own.person("editor"), own.person("viewer")
    status, body = _block(client, editor, table_id)
    assert status == 200 and body["rows"]
    access.revoke(engine, own.base_id, user_id=editor.user_id)
    assert _block(client, editor, table_id)[0] == 403

    grade = own.customers.field("等级")
    status, body = _block(client, viewer, table_id)
    assert status == 200 and str(grade.id) in body["rows"][0]["fields"]  # type: ignore[index]
    access.set_field_permission(engine, grade.id, "viewer", "hidden")
    status, body = _block(client, viewer, table_id)
    assert status == 200 and str(grade.id) not in body["rows"][0]["fields"]  # type: ignore[index]

    delete_base(engine, own.base_id)
    assert _block(client, viewer, table_id)[0] == 404


def test_a_user_run_builds_its_scope_once(world: World) -> None:
    """A run as a user with a row rule reads its access state once (its role, permissions and
    rule), not a scope per statement; only the rule's visibility checks stay per write."""
    name = f"editor_{uuid.uuid4().hex[:6]}"
    uid = create_user(world.engine, name, "password-" + uuid.uuid4().hex)
    access.grant(world.engine, world.base_id, "editor", user_id=uid)
    member = Principal(uid, name)
    counts = {}
    for who in (SYSTEM, member):
        aid = wf.create_automation(
            world.engine, base_id=world.base_id, table_id=world.customers.id,
            name="scope once", trigger={"type": "manual"}, actor=who,
            actions=[{"type": "update_record", "options": {"values": {"姓名": "改名"}}},
                     {"type": "update_record", "options": {"values": {"电话": "139"}}}])
        for _ in range(2):   # the second run is counted (the first warms the caches)
            row = world.customer(None)
            RecordService(world.engine).update(world.customers.id, row, {"负责人": uid})
            wf.run_manual(world.engine, aid, [row])
            with _statements(world.engine) as seen:
                wf.Worker(world.engine, worker_id=f"scope-{uid}").run_once()
            run = wf.run_history(world.engine, aid, limit=1)[0]
            assert run.status == "succeeded", run.error
        counts[who.username] = seen
    user, system = counts[name], counts["system"]
    # the role once, the field permissions and row rule once (one statement), the trash state
    # from the run-as lookup: not once per read and write as before
    assert _reads_of(user, "access_memberships") == 1, user
    assert _reads_of(user, "access_field_permissions") == 1, user
    assert _reads_of(user, "trash_items") == _reads_of(system, "trash_items")
    def access_reads(statements: list[str]) -> int:
        return sum(1 for s in statements if any(f"FROM {t}" in s for t in ACCESS_TABLES))

    assert access_reads(user) - access_reads(system) == 2, user
    # what stays per write is the point of a row rule: the record is checked before and after
    rule_checks = [s for s in user if "rule_row" in s]
    assert len(rule_checks) <= 5, rule_checks
