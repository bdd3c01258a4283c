"""The grid's server side on SQLite and PostgreSQL: position-indexed blocks equal the keyset
order for every filter and sort, the index follows writes, cell writes return change sets
that undo and redo, errors name the bad value, group counts, link search, the formula
editor's analysis, and live events published on commit only."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from tessera.query import query_records
from tessera.records import RecordService
from tessera.web import seek
from tessera.web.change_feed import feed_for
from tessera.web.events import Change, _stream, install
from tessera.web.grid import read_block

API = "/api/v1"
N = 250  # three blocks of seek.BLOCK = 100


@pytest.fixture
def people(client, app) -> dict[str, Any]:
    base = client.post(f"{API}/bases", json={"name": "Clinic"}).json()
    table = client.post(f"{API}/bases/{base['id']}/tables", json={
        "name": "People",
        "fields": [{"name": "Age", "type": "number"},
                   {"name": "Tier", "type": "single_select",
                    "options": {"choices": [{"label": "VIP"}, {"label": "Regular"}]}},
                   {"name": "Seen", "type": "date"}]}).json()
    rows = [{"fields": {"Name": f"p{i:03d}", "Age": None if i % 7 == 0 else i % 40,
                        "Tier": "VIP" if i % 3 == 0 else "Regular",
                        "Seen": None if i % 5 == 0 else f"2026-01-{1 + i % 28:02d}"}}
            for i in range(N)]
    assert client.post(f"{API}/tables/{table['id']}/records/bulk-create",
                       json={"records": rows}).status_code == 201
    return table


def _reference(engine: Any, table_id: int, filter: Any, sort: Any) -> list[int]:
    ids, cursor = [], None
    while True:
        page = query_records(engine, table_id, filter=filter, sort=sort, limit=37,
                             cursor=cursor, with_total=False)
        ids += [r["id"] for r in page.rows]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


CASES = [
    ("no filter, id order", None, None),
    ("age desc, nulls last", None, [{"field": "Age", "direction": "desc"}]),
    ("tier then age", None, [{"field": "Tier"}, {"field": "Age"}]),
    ("date asc with empties", None, [{"field": "Seen"}]),
    ("filtered and sorted", {"or": [{"field": "Tier", "op": "=", "value": "VIP"},
                                    {"field": "Age", "op": ">", "value": 30}]},
     [{"field": "Seen", "direction": "desc"}, {"field": "Name"}]),
    ("filter leaving one block", {"field": "Age", "op": "<", "value": 3}, None),
]


@pytest.mark.parametrize("label, filter, sort", CASES, ids=[c[0] for c in CASES])
def test_blocks_follow_the_keyset_order(app, people, label, filter, sort) -> None:
    engine = app.state.engine
    expected = _reference(engine, people["id"], filter, sort)
    got: list[int] = []
    blocks = -(-len(expected) // seek.BLOCK)
    for b in reversed(range(blocks + 1)):  # any block, in any order (a jump)
        block = read_block(engine, people["id"], b, filter=filter, sort=sort)
        assert block["total"] == len(expected)
        got = [r["id"] for r in block["rows"]] + got
    assert got == expected


def test_index_follows_creates_deletes_and_sorted_updates(app, people) -> None:
    engine = app.state.engine
    install(engine)
    feed_for(engine).catch_up()  # the fixture's writes reached the change feed already
    sort = [{"field": "Age"}]
    read_block(engine, people["id"], 2, sort=sort)
    built = seek.position_index(engine, people["id"], sort=sort)
    service = RecordService(engine)
    service.update(people["id"], 1, {"Name": "renamed"})  # not sorted on: index kept
    assert seek.position_index(engine, people["id"], sort=sort) is built
    service.update(people["id"], 2, {"Age": 99})  # sorted on: rebuilt
    after = seek.position_index(engine, people["id"], sort=sort)
    assert after is not built
    assert _ids(engine, people["id"], sort) == _reference(engine, people["id"], None, sort)
    new_id = service.create(people["id"], {"Name": "late", "Age": 0})["id"]
    assert seek.position_index(engine, people["id"], sort=sort).total == N + 1
    assert _ids(engine, people["id"], sort) == _reference(engine, people["id"], None, sort)
    service.delete(people["id"], new_id)
    assert seek.position_index(engine, people["id"], sort=sort).total == N


def _ids(engine: Any, table_id: int, sort: Any) -> list[int]:
    out: list[int] = []
    for b in range(3):
        out += [r["id"] for r in read_block(engine, table_id, b, sort=sort)["rows"]]
    return out


def test_block_endpoint_and_bad_parameters(client, people) -> None:
    response = client.get(f"/ui/tables/{people['id']}/grid/block?b=2&sort="
                          + json.dumps([{"field": "Age", "direction": "desc"}]))
    body = response.json()
    assert response.status_code == 200 and body["block"] == 2 and body["total"] == N
    assert len(body["rows"]) == N - 200
    beyond = client.get(f"/ui/tables/{people['id']}/grid/block?b=9").json()
    assert beyond["rows"] == [] and beyond["total"] == N
    bad = client.get(f"/ui/tables/{people['id']}/grid/block?b=1&filter={{oops")
    assert bad.status_code == 400 and "filter" in bad.json()["error"]["message"]
    bad = client.get(f"/ui/tables/{people['id']}/grid/block?b=x")
    assert bad.status_code == 400
    zh = client.get(f"/ui/tables/{people['id']}/grid/block?b=x",
                    headers={"accept-language": "zh-CN"})
    assert "整数" in zh.json()["error"]["message"]


def test_cell_writes_undo_and_redo(client, people) -> None:
    tid = people["id"]
    url = f"/ui/tables/{tid}/grid"
    age = f"f_{people['fields'][1]['id']}"
    before = client.get(f"{API}/tables/{tid}/records/1").json()["fields"]["Age"]
    assert before is None
    done = client.post(f"{url}/update", json={"records": [{"id": 1, "fields": {age: "77"}},
                                                          {"id": 2, "fields": {age: 78}}]})
    assert done.status_code == 200, done.text
    change_set = done.json()["change_set_id"]
    assert client.get(f"{API}/tables/{tid}/records/1").json()["fields"]["Age"] == 77
    undo = client.post(f"/ui/change-sets/{change_set}/undo").json()["change_set_id"]
    assert client.get(f"{API}/tables/{tid}/records/1").json()["fields"]["Age"] == before
    client.post(f"/ui/change-sets/{undo}/undo")  # redo = undo the undo
    assert client.get(f"{API}/tables/{tid}/records/2").json()["fields"]["Age"] == 78
    created = client.post(f"{url}/create", json={"records": [{"fields": {"Name": "new"}}]})
    assert created.status_code == 201 and created.json()["change_set_id"]
    deleted = client.post(f"{url}/delete", json={"ids": created.json()["ids"]})
    assert deleted.status_code == 200
    assert client.get(f"{API}/tables/{tid}/records/count").json()["count"] == N


@pytest.mark.parametrize("body, status, needle", [
    ({"records": [{"id": 2, "fields": {"Age": "abc"}}]}, 422, "Age"),
    ({"records": []}, 400, "body.records"),
    ({"ids": [1]}, 400, "body.records"),
    ({"records": [{"id": 99999, "fields": {"Age": 1}}]}, 404, "99999"),
])
def test_cell_write_errors_say_what_is_wrong(client, people, body, status, needle) -> None:
    response = client.post(f"/ui/tables/{people['id']}/grid/update", json=body)
    assert response.status_code == status, response.text
    assert needle in json.dumps(response.json())
    assert client.get(f"{API}/tables/{people['id']}/records/2").json()["fields"]["Age"] == 1


def test_group_counts_and_link_search(client, people) -> None:
    groups = client.get(f"/ui/tables/{people['id']}/grid/groups?field=Tier").json()["groups"]
    assert sorted((g["value"], g["count"]) for g in groups) == [("Regular", 166), ("VIP", 84)]
    assert sum(g["count"] for g in groups) == N
    age = str(people["fields"][1]["id"])
    ages = {"VIP": 0, "Regular": 0}
    for i in range(N):
        ages["VIP" if i % 3 == 0 else "Regular"] += 0 if i % 7 == 0 else i % 40
    assert {g["value"]: g["sums"][age] for g in groups} == ages  # subtotals per group
    found = client.get(f"/ui/tables/{people['id']}/grid/search?q=p24").json()["records"]
    assert [r["label"] for r in found] == [f"p24{i}" for i in range(10)]
    assert client.get(f"/ui/tables/{people['id']}/grid/search?q=%25").json()["records"] == []


@pytest.mark.parametrize("formula, errors, result_type, preview", [
    ("{Age} * 2", [], "number", [0.0, 2.0]),  # record 1's Age is empty
    ('IF({Agee} > 1, "a", "b")', [(3, 9)], None, []),
    ("ROUND({Age}", [(11, 11)], None, []),
    ("", [(0, 0)], None, []),
])
def test_formula_analysis(client, people, formula, errors, result_type, preview) -> None:
    result = client.post(f"/ui/tables/{people['id']}/formula/analyze",
                         json={"formula": formula}).json()
    assert [(e["start"], e["end"]) for e in result["errors"]] == errors
    assert result["result_type"] == result_type
    assert [r["value"] for r in result["preview"]][:2] == preview
    if errors:
        assert "(at 1:" in result["errors"][0]["message"]


def test_function_catalog_in_both_languages(client) -> None:
    en = client.get("/ui/formula/functions").json()["functions"]
    zh = client.get("/ui/formula/functions", headers={"accept-language": "zh"}).json()["functions"]
    round_en = next(f for f in en if f["name"] == "ROUND")
    round_zh = next(f for f in zh if f["name"] == "ROUND")
    assert round_en["signature"] == "ROUND(number, [digits])"
    assert round_zh["signature"] == "ROUND(数值, [位数])"
    assert round_en["description"] != round_zh["description"]


def test_language_cookie_wins_over_the_browser(client, people) -> None:
    response = client.get("/ui/lang/zh?next=/bases/1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/bases/1"
    page = client.get(f"/tables/{people['id']}", headers={"accept": "text/html",
                                                          "accept-language": "en"})
    assert '<html lang="zh-CN">' in page.text and "筛选" in page.text
    evil = client.get("/ui/lang/en?next=//evil.example", follow_redirects=False)
    assert evil.headers["location"] == "/"


def _collect(engine: Any, table_id: int, write: Any) -> list[str]:
    """Run ``write`` in a thread while a subscriber listens; the SSE chunks it received."""

    class FakeRequest:
        async def is_disconnected(self) -> bool:
            return False

    async def main() -> list[str]:
        stream = _stream(FakeRequest(), engine, table_id)  # type: ignore[arg-type]
        chunks = [await stream.__anext__()]
        thread = threading.Thread(target=write)
        thread.start()
        try:
            chunks.append(await asyncio.wait_for(stream.__anext__(), 2))
        except TimeoutError:
            pass
        thread.join()
        await stream.aclose()
        return chunks

    install(engine)
    # a loop of its own in a thread: Playwright's sync API may own this thread's loop
    out: list[list[str]] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    runner.start()
    runner.join(30)
    return out[0]


def test_events_are_published_on_commit(app, people) -> None:
    engine = app.state.engine
    chunks = _collect(engine, people["id"],
                      lambda: RecordService(engine).update(people["id"], 3, {"Age": 5}))
    assert chunks[0].startswith("retry: 1000\nevent: ready")
    assert chunks[1].startswith("event: change\ndata: ")
    change = json.loads(chunks[1].split("data: ", 1)[1])
    assert change["kind"] == "update" and change["record_ids"] == [3]
    assert change["field_ids"] == [people["fields"][1]["id"]]
    assert feed_for(engine).subscriber_count(people["id"]) == 0


def test_rolled_back_writes_are_not_published(app, people) -> None:
    engine = app.state.engine

    def failing_write() -> None:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            RecordService(conn).update(people["id"], 3, {"Age": 6})
            raise RuntimeError("abort")

    chunks = _collect(engine, people["id"], failing_write)
    assert len(chunks) == 1  # only "ready"
    assert Change(1, "update", (1,), ()).to_json().startswith('{"table_id": 1')
