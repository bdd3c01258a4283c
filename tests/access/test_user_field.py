"""The ``user`` field type: input by username or id (unknown users refused), the id in the API,
the username on display, text → user conversion by username, and filters by username, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tessera import schema_ops as schema
from tessera.errors import RecordValidationError
from tessera.fields import get_field_type
from tessera.fields.user import user_directory
from tessera.records import RecordService

from .conftest import Person


@pytest.fixture(scope="module")
def table(engine: Engine) -> schema.TableInfo:
    base = schema.create_base(engine, "用户字段")
    return schema.create_table(engine, base.id, "任务", primary_field="标题", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("备注", "text")])


def _input(people: dict[str, Person], raw: Any) -> Any:
    """"$editor:id" → that user's id, "$viewer:at" → "@username", …; anything else as is."""
    if not (isinstance(raw, str) and raw.startswith("$")):
        return raw
    role, kind = raw[1:].split(":")
    person = people[role]
    return {"name": person.username, "id": person.user_id, "idtext": str(person.user_id),
            "at": "@" + person.username, "upper": person.username.upper()}[kind]


# (input, expected: the role whose id is stored, or an error)
PARSE = [
    ("$editor:name", "editor"),
    ("$editor:id", "editor"),
    ("$editor:idtext", "editor"),
    ("$viewer:at", "viewer"),
    ("$viewer:upper", "viewer"),
    (None, None),
    ("", None),
    ("nobody-has-this-name", "error"),
    (987654321, "error"),
    (True, "error"),
    (-3, "error"),
    (2**40, "error"),
    (["a"], "error"),
]


@pytest.mark.parametrize(("raw", "expected"), PARSE, ids=[repr(p[0]) for p in PARSE])
def test_parse(engine: Engine, people: dict[str, Person], table: schema.TableInfo, raw: Any,
               expected: str | None) -> None:
    value = _input(people, raw)
    service = RecordService(engine)
    if expected == "error":
        with pytest.raises(RecordValidationError) as info:
            service.create(table.id, {"标题": "t", "负责人": value})
        assert info.value.errors[0].field == "负责人"
        assert "用户名" in info.value.errors[0].message_zh
        return
    record = service.create(table.id, {"标题": "t", "负责人": value})
    stored = record["fields"]["负责人"]
    assert stored == (None if expected is None else people[expected].user_id)
    assert stored is None or isinstance(stored, int)


def test_display_is_the_username(engine: Engine, people: dict[str, Person]) -> None:
    user_type = get_field_type("user")
    field = schema.FieldSpec("负责人", "user", {})
    with engine.connect() as conn, user_directory(conn):
        assert user_type.display(people["admin"].user_id, field) == people["admin"].username
        assert user_type.display(999999, field) == "#999999"
    assert user_type.display(people["admin"].user_id, field) == f"#{people['admin'].user_id}"


def test_text_converts_to_user_by_username(engine: Engine, people: dict[str, Person],
                                           table: schema.TableInfo) -> None:
    service = RecordService(engine)
    names = [people["editor"].username, people["viewer"].username, "不存在的人", None]
    ids = service.bulk_create(table.id, [{"标题": "c", "备注": n} for n in names])
    report = schema.change_field_type(engine, table.field("备注").id, "user")
    assert report.converted == 2 and len(report.rejected) == 1
    assert report.rejected[0].original_value == "不存在的人"
    got = [service.get(table.id, i)["fields"]["备注"] for i in ids]
    assert got == [people["editor"].user_id, people["viewer"].user_id, None, None]
    back = schema.change_field_type(engine, table.field("备注").id, "text")
    assert back.converted == 2
    assert service.get(table.id, ids[0])["fields"]["备注"] == people["editor"].username
