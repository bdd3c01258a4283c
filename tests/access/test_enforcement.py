"""Field permissions and row rules in every read and write path of the storage layer:
query_records / count_records / query_view, RecordService get/create/update/delete/history,
exports, and link cells ("lookups shown to the user"), per role, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tessera.access import ForbiddenError, SignInRequiredError
from tessera.auth.principal import Principal
from tessera.errors import NotFoundError, RecordValidationError
from tessera.io.exporter import export_records
from tessera.query import count_records, query_records, query_view
from tessera.records import RecordService

from .conftest import World

# role → which customers it reads: every row, only its own, or none (403)
READ = [("owner", "all"), ("admin", "all"), ("editor", "own"), ("commenter", "own"),
        ("viewer", "own"), ("outsider", "forbidden")]
PHONE_VISIBLE = {"owner": True, "admin": True, "editor": True, "commenter": False,
                 "viewer": False}


def _names(rows: list[dict[str, Any]]) -> set[str]:
    return {r["fields"]["姓名"] for r in rows}


def _owned_by(world: World, role: str, rows: list[dict[str, Any]]) -> bool:
    return all(r["fields"]["负责人"] == world.person(role).user_id for r in rows)


@pytest.mark.parametrize(("role", "expect"), READ)
def test_record_list_applies_the_row_rule(world: World, role: str, expect: str) -> None:
    principal = world.person(role).principal
    if expect == "forbidden":
        with pytest.raises(ForbiddenError):
            query_records(world.engine, world.customers.id, principal=principal)
        return
    page = query_records(world.engine, world.customers.id, principal=principal, limit=1000)
    names = _names(page.rows)
    assert f"{role}的顾客" in names
    if expect == "all":
        assert "无人负责的顾客" in names and "viewer的顾客" in names
        assert page.total == count_records(world.engine, world.customers.id)
    else:
        assert _owned_by(world, role, page.rows) and "无人负责的顾客" not in names
        assert page.total == len(page.rows) == count_records(
            world.engine, world.customers.id, principal=principal)


@pytest.mark.parametrize(("role", "expect"), READ)
def test_view_rows_apply_the_row_rule(world: World, role: str, expect: str) -> None:
    principal = world.person(role).principal
    if expect == "forbidden":
        with pytest.raises(ForbiddenError):
            query_view(world.engine, world.view_id, principal=principal)
        return
    rows = query_view(world.engine, world.view_id, principal=principal, limit=1000).rows
    assert (expect == "all") == ("无人负责的顾客" in _names(rows))
    assert ("电话" in rows[0]["fields"]) is PHONE_VISIBLE[role]


@pytest.mark.parametrize(("role", "visible"), sorted(PHONE_VISIBLE.items()))
def test_hidden_fields_never_leave_the_server(world: World, role: str, visible: bool) -> None:
    principal = world.person(role).principal
    own = world.rows[role]
    record = RecordService(world.engine, principal=principal).get(world.customers.id, own)
    assert ("电话" in record["fields"]) is visible
    page = query_records(world.engine, world.customers.id, principal=principal, key="id")
    phone = str(world.customers.field("电话").id)
    assert all((phone in r["fields"]) is visible for r in page.rows)


@pytest.mark.parametrize(("role", "spec"), [
    ("viewer", {"filter": {"field": "电话", "op": "contains", "value": "138"}}),
    ("viewer", {"sort": [{"field": "电话"}]}),
    ("commenter", {"filter": {"field": "电话", "op": "is_empty"}}),
])
def test_filtering_or_sorting_by_a_hidden_field_is_an_unknown_field(world: World, role: str,
                                                                   spec: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError) as info:
        query_records(world.engine, world.customers.id, principal=world.person(role).principal,
                      **spec)
    assert info.value.details == {"kind": "field", "id": "电话"}


def test_filter_by_username_on_a_user_field(world: World) -> None:
    page = query_records(world.engine, world.customers.id,
                         filter={"field": "负责人", "op": "=", "value": world.person("viewer").username})
    assert _names(page.rows) >= {"viewer的顾客"} and _owned_by(world, "viewer", page.rows)


# (role, own or other row, values, expected: ok | not_found | forbidden | invalid)
UPDATES = [
    ("owner", "other", {"等级": "A"}, "ok"),
    ("admin", "other", {"等级": "A", "电话": "139"}, "ok"),
    ("editor", "own", {"姓名": "改名"}, "ok"),
    ("editor", "own", {"电话": "139 1111 2222"}, "ok"),
    ("editor", "other", {"姓名": "改名"}, "not_found"),
    ("editor", "own", {"等级": "A"}, "forbidden"),           # read-only for editors
    ("editor", "own", {"负责人": "OWNER"}, "forbidden"),      # would leave the editor's rows
    ("commenter", "own", {"姓名": "改名"}, "forbidden"),
    ("viewer", "own", {"姓名": "改名"}, "forbidden"),
    ("outsider", "own", {"姓名": "改名"}, "forbidden"),
]


@pytest.mark.parametrize(("role", "which", "values", "expect"), UPDATES,
                         ids=[f"{r}-{w}-{'+'.join(v)}" for r, w, v, _ in UPDATES])
def test_updates(world: World, role: str, which: str, values: dict[str, Any],
                 expect: str) -> None:
    record_id = world.own_or_other(role, which)
    values = {k: (world.person("owner").user_id if v == "OWNER" else v)
              for k, v in values.items()}
    service = RecordService(world.engine, principal=world.person(role).principal)
    before = RecordService(world.engine).get(world.customers.id, record_id)
    errors = {"not_found": NotFoundError, "forbidden": ForbiddenError,
              "invalid": RecordValidationError}
    if expect == "ok":
        after = service.update(world.customers.id, record_id, values)
        assert all(after["fields"][k] == v for k, v in values.items())
        return
    with pytest.raises(errors[expect]):
        service.update(world.customers.id, record_id, values)
    assert RecordService(world.engine).get(world.customers.id, record_id) == before


@pytest.mark.parametrize(("role", "values", "expect"), [
    ("editor", {"姓名": "新顾客", "负责人": "SELF"}, "ok"),
    ("editor", {"姓名": "新顾客", "负责人": "OWNER"}, "forbidden"),
    ("editor", {"姓名": "新顾客"}, "forbidden"),             # nobody's: outside the rule
    ("editor", {"姓名": "新顾客", "负责人": "SELF", "等级": "A"}, "forbidden"),
    ("viewer", {"姓名": "新顾客", "负责人": "SELF"}, "forbidden"),
    ("commenter", {"姓名": "新顾客", "负责人": "SELF", "电话": "1"}, "forbidden"),
    ("admin", {"姓名": "新顾客"}, "ok"),
])
def test_creates(world: World, role: str, values: dict[str, Any], expect: str) -> None:
    person = world.person(role)
    values = {k: {"SELF": person.username, "OWNER": world.person("owner").username}.get(v, v)
              for k, v in values.items()}
    service = RecordService(world.engine, principal=person.principal)
    before = count_records(world.engine, world.customers.id)
    if expect == "ok":
        created = service.create(world.customers.id, values)
        assert created["fields"]["姓名"] == "新顾客"
        assert count_records(world.engine, world.customers.id) == before + 1
        return
    with pytest.raises(ForbiddenError):
        service.create(world.customers.id, values)
    assert count_records(world.engine, world.customers.id) == before


@pytest.mark.parametrize(("role", "which", "expect"), [
    ("owner", "other", "ok"), ("admin", "other", "ok"), ("editor", "own", "ok"),
    ("editor", "other", "not_found"), ("commenter", "own", "forbidden"),
    ("viewer", "own", "forbidden"),
])
def test_deletes(world: World, role: str, which: str, expect: str) -> None:
    record_id = world.own_or_other(role, which)
    service = RecordService(world.engine, principal=world.person(role).principal)
    if expect == "ok":
        service.delete(world.customers.id, record_id)
        with pytest.raises(NotFoundError):
            RecordService(world.engine).get(world.customers.id, record_id)
        return
    with pytest.raises(NotFoundError if expect == "not_found" else ForbiddenError):
        service.delete(world.customers.id, record_id)
    assert RecordService(world.engine).get(world.customers.id, record_id)["id"] == record_id


def test_bulk_writes_are_all_or_nothing_across_the_rule(world: World) -> None:
    own, other = world.own_or_other("editor", "own"), world.own_or_other("editor", "other")
    editor = RecordService(world.engine, principal=world.person("editor").principal)
    with pytest.raises(NotFoundError):
        editor.bulk_update(world.customers.id, [(own, {"姓名": "甲"}), (other, {"姓名": "乙"})])
    with pytest.raises(NotFoundError):
        editor.bulk_delete(world.customers.id, [own, other])
    system = RecordService(world.engine)
    assert system.get(world.customers.id, own)["fields"]["姓名"] != "甲"


def test_history_hides_hidden_fields_and_other_rows(world: World) -> None:
    own = world.rows["viewer"]
    RecordService(world.engine).update(world.customers.id, own, {"电话": "139 0000 0001"})
    viewer = RecordService(world.engine, principal=world.person("viewer").principal)
    entries = viewer.history(world.customers.id, own)
    phone = world.customers.field("电话").id
    assert entries and all(e.field_id != phone for e in entries)
    assert all(str(phone) not in (e.new_value or {}) for e in entries if e.field_id is None)
    with pytest.raises(NotFoundError):
        viewer.history(world.customers.id, world.rows["other"])
    assert any(e.field_id == phone for e in RecordService(world.engine).history(
        world.customers.id, own))


def test_editor_writes_are_attributed_to_the_editor(world: World) -> None:
    own = world.own_or_other("editor", "own")
    RecordService(world.engine, principal=world.person("editor").principal).update(
        world.customers.id, own, {"姓名": "署名"})
    [latest, *_] = RecordService(world.engine).history(world.customers.id, own)
    assert latest.actor == world.person("editor").username


# --- exports ----------------------------------------------------------------------------
def _export(world: World, tmp_path: Path, role: str, **target: int) -> list[list[str]]:
    path = tmp_path / f"{role}.csv"
    export_records(world.engine, path, principal=world.person(role).principal, **target)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(("role", "expect"), READ)
def test_exports_never_leak_more_than_a_read(world: World, tmp_path: Path, role: str,
                                             expect: str) -> None:
    if expect == "forbidden":
        with pytest.raises(ForbiddenError):
            _export(world, tmp_path, role, table_id=world.customers.id)
        return
    header, *rows = _export(world, tmp_path, role, table_id=world.customers.id)
    assert ("电话" in header) is PHONE_VISIBLE[role]
    names = {r[header.index("姓名")] for r in rows}
    assert (expect == "all") == ("无人负责的顾客" in names)
    owners = {r[header.index("负责人")] for r in rows}
    if expect == "own":
        assert owners == {str(world.person(role).user_id)}
    view_header, *view_rows = _export(world, tmp_path, role, view_id=world.view_id)
    assert view_header == header and len(view_rows) == len(rows)


# --- link cells: linked records the reader may not see are not shown --------------------------
@pytest.fixture(scope="module")
def visit(world: World) -> int:
    return int(RecordService(world.engine).create(world.visits.id, {
        "主题": "复诊", "顾客": [world.rows["editor"], world.rows["other"]]})["id"])


@pytest.mark.parametrize(("role", "expect"), [("owner", "both"), ("admin", "both"),
                                              ("editor", "own"), ("viewer", "none")])
def test_link_cells_hide_records_outside_the_rule(world: World, visit: int, role: str,
                                                  expect: str, tmp_path: Path) -> None:
    principal = world.person(role).principal
    shown = {"both": [world.rows["editor"], world.rows["other"]], "own": [world.rows["editor"]],
             "none": []}[expect]
    record = RecordService(world.engine, principal=principal).get(world.visits.id, visit)
    assert record["fields"]["顾客"] == sorted(shown)
    page = query_records(world.engine, world.visits.id, principal=principal,
                         filter={"field": "主题", "op": "=", "value": "复诊"})
    assert [r["fields"]["顾客"] for r in page.rows] == [sorted(shown)]
    header, *rows = _export(world, tmp_path, role, table_id=world.visits.id)
    [row] = [r for r in rows if r[header.index("主题")] == "复诊"]
    labels = [x.strip() for x in row[header.index("顾客")].split(",") if x.strip()]
    assert len(labels) == {"both": 2, "own": 1, "none": 0}[expect]
    assert ("无人负责的顾客" in labels) is (expect == "both")


def test_nobody_signed_in_must_sign_in(world: World) -> None:
    with pytest.raises(SignInRequiredError):
        query_records(world.engine, world.customers.id, principal=Principal(None, "anonymous"))


def test_token_scoped_to_another_base_has_no_role_here(world: World) -> None:
    person = world.person("owner")
    scoped = Principal(person.user_id, person.username, token_base_ids=frozenset({-1}))
    with pytest.raises(ForbiddenError):
        query_records(world.engine, world.customers.id, principal=scoped)


@pytest.fixture(scope="module")
def aggregates(world: World) -> dict[str, int]:
    """Computed fields of 回访 that aggregate linked customers (and one that does not)."""
    from tessera import schema_ops as schema

    link, name = world.visits.field("顾客").id, world.customers.field("姓名").id
    return {
        "lookup": schema.add_field(world.engine, world.visits.id, "顾客姓名", "lookup",
                                   {"link_field_id": link, "target_field_id": name}).id,
        "formula": schema.add_field(world.engine, world.visits.id, "顾客数", "formula",
                                    {"formula": "COUNTA({顾客}.{姓名})"}).id,
        "plain": schema.add_field(world.engine, world.visits.id, "主题长度", "formula",
                                  {"formula": "LEN({主题})"}).id,
    }


@pytest.mark.parametrize(("role", "aggregates_shown"), [("owner", True), ("admin", True),
                                                        ("editor", False), ("viewer", False)])
def test_aggregates_over_hidden_linked_records_are_withheld(
        world: World, visit: int, aggregates: dict[str, int], role: str,
        aggregates_shown: bool) -> None:
    record = RecordService(world.engine, principal=world.person(role).principal).get(
        world.visits.id, visit, key="id")
    fields = record["fields"]
    assert (str(aggregates["lookup"]) in fields) is aggregates_shown
    assert (str(aggregates["formula"]) in fields) is aggregates_shown
    assert fields[str(aggregates["plain"])] == 2.0  # reads no link: shown to everyone
    if aggregates_shown:
        assert fields[str(aggregates["formula"])] == 2.0
        assert "无人负责的顾客" in fields[str(aggregates["lookup"])]
