"""Injection and XSS attempts through field names, select options, record values, formula text,
row rules, filter values and imported files: all stored exactly as typed, shown escaped, and
without effect on the SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tessera import access
from tessera import schema_ops as schema
from tessera.query import count_records, query_records
from tessera.records import RecordService
from tessera.web import create_app

from .conftest import Person

SQL = "x'); DROP TABLE bases; --"
SQL2 = "' OR 1=1 --"
XSS = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = [SQL, SQL2, XSS, IMG, "{{7*7}}", "${7*7}", "%s%s%n", "\\x00\\'", "名字'\"<>&"]


@pytest.fixture(scope="module")
def hostile(engine: Engine, people: dict[str, Person]) -> dict[str, Any]:
    """A base whose table, field and option names and values are all attack strings."""
    base = schema.create_base(engine, XSS)
    access.grant(engine, base.id, "owner", user_id=people["owner"].user_id)
    access.grant(engine, base.id, "viewer", user_id=people["viewer"].user_id)
    t = schema.create_table(engine, base.id, SQL, primary_field=XSS, fields=[
        schema.FieldSpec(IMG, "single_select", {"choices": [XSS, SQL]}),
        schema.FieldSpec(SQL2, "text"),
        schema.FieldSpec("公式", "formula", {"formula": '"<b>" & {' + XSS + '} & "</b>"'}),
    ])
    ids = RecordService(engine).bulk_create(t.id, [
        {XSS: p, IMG: XSS, SQL2: p} for p in PAYLOADS])
    return {"base": base.id, "table": schema.get_table(engine, t.id), "ids": ids}


def _tables_survive(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sa.table("bases"))
                            ).scalar_one() >= 1


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_are_stored_exactly(engine: Engine, hostile: dict[str, Any],
                                   payload: str) -> None:
    t = hostile["table"]
    page = query_records(engine, t.id, filter={"field": SQL2, "op": "=", "value": payload})
    [row] = page.rows
    assert row["fields"][XSS] == payload and row["fields"][IMG] == XSS
    assert row["fields"]["公式"] == f"<b>{payload}</b>"
    _tables_survive(engine)


@pytest.mark.parametrize("value", [SQL, SQL2, "%", "_", "\\", "' OR '1'='1", "1; DELETE FROM bases"])
def test_filter_values_are_parameters(engine: Engine, hostile: dict[str, Any], value: str) -> None:
    t = hostile["table"]
    expected = sum(1 for p in PAYLOADS if value.lower() in p.lower())
    assert count_records(engine, t.id, filter={"field": SQL2, "op": "contains",
                                               "value": value}) == expected
    assert count_records(engine, t.id, filter={"field": SQL2, "op": "=", "value": value}) == (
        1 if value in PAYLOADS else 0)
    _tables_survive(engine)


def test_names_are_stored_exactly(engine: Engine, hostile: dict[str, Any]) -> None:
    t = schema.get_table(engine, hostile["table"].id)
    assert t.name == SQL and {f.name for f in t.fields} >= {XSS, IMG, SQL2}
    assert schema.get_base(engine, hostile["base"]).name == XSS


def test_row_rule_text_is_a_formula_not_sql(engine: Engine, hostile: dict[str, Any],
                                            people: dict[str, Person]) -> None:
    t = hostile["table"]
    access.set_row_rule(engine, t.id, "viewer", "{" + SQL2 + "} = \"" + SQL.replace('"', "") + '"')
    rows = query_records(engine, t.id, principal=people["viewer"].principal).rows
    assert [r["fields"][SQL2] for r in rows] == [SQL]
    access.set_row_rule(engine, t.id, "viewer", None)
    _tables_survive(engine)


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine, embedded_worker=False)) as c:
        yield c


def _page(client: TestClient, person: Person, path: str) -> str:
    response = client.get(path, headers={**person.headers, "Accept": "text/html"})
    assert response.status_code == 200, response.text[:500]
    return response.text


@pytest.mark.parametrize("path", ["/", "/bases/{base}", "/tables/{table}"])
def test_pages_escape_every_name(client: TestClient, hostile: dict[str, Any],
                                 people: dict[str, Person], path: str) -> None:
    text = _page(client, people["owner"], path.format(base=hostile["base"],
                                                      table=hostile["table"].id))
    assert XSS not in text and IMG not in text and "<script>alert" not in text
    assert str(escape(XSS)) in text  # the hostile base name, shown as text


def test_api_returns_json_not_markup(client: TestClient, hostile: dict[str, Any],
                                     people: dict[str, Person]) -> None:
    response = client.get(f"/api/v1/tables/{hostile['table'].id}/records",
                          headers=people["owner"].headers)
    assert response.headers["content-type"].startswith("application/json")
    assert "nosniff" in response.headers["x-content-type-options"]
    assert XSS in {r["fields"][IMG] for r in response.json()["rows"]}


def test_imported_file_values_are_inert(client: TestClient, engine: Engine,
                                        hostile: dict[str, Any], people: dict[str, Person]) -> None:
    t = schema.create_table(engine, hostile["base"], "导入", primary_field="姓名",
                            fields=[schema.FieldSpec("备注", "text")])
    rows = [f'"{p.replace(chr(34), chr(34) * 2)}",{i}' for i, p in enumerate(PAYLOADS)]
    content = ("姓名,备注\n" + "\n".join(rows) + "\n").encode("utf-8-sig")
    headers = people["owner"].headers
    upload = client.post(f"/api/v1/tables/{t.id}/imports", headers=headers, json={
        "filename": SQL + ".csv", "content_base64": base64.b64encode(content).decode()})
    assert upload.status_code == 201, upload.text
    commit = client.post(f"/api/v1/tables/{t.id}/imports/{upload.json()['upload_id']}/commit",
                         headers=headers, json={})
    assert commit.status_code == 200, commit.text
    names = [r["fields"]["姓名"] for r in query_records(engine, t.id, limit=100).rows]
    assert names == PAYLOADS
    page = _page(client, people["owner"], f"/tables/{t.id}")
    assert XSS not in page
    _tables_survive(engine)


def test_comments_are_shown_escaped(client: TestClient, hostile: dict[str, Any],
                                    people: dict[str, Person]) -> None:
    t, rid = hostile["table"], hostile["ids"][0]
    posted = client.post(f"/tables/{t.id}/records/{rid}/comments", data={"body": XSS + IMG},
                         headers=people["owner"].headers, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    page = _page(client, people["owner"], f"/tables/{t.id}/records/{rid}")
    assert XSS not in page and IMG not in page and str(escape(XSS)) in page
