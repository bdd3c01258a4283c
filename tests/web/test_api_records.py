"""Records through the API: CRUD, bulk writes, filters, sorts, keyset pagination across
pages, counts and history."""

from __future__ import annotations

import json

import pytest

API = "/api/v1"


@pytest.fixture
def people(client, table) -> dict:
    """25 customers: Name p00..p24, Age = i, Tier VIP for even i."""
    rows = [{"fields": {"Name": f"p{i:02d}", "Age": i, "Tier": "VIP" if i % 2 == 0 else
                        "Regular"}} for i in range(25)]
    response = client.post(f"{API}/tables/{table['id']}/records/bulk-create",
                           json={"records": rows})
    assert response.status_code == 201
    assert len(response.json()["ids"]) == 25
    return table


def test_record_crud(client, table) -> None:
    tid = table["id"]
    made = client.post(f"{API}/tables/{tid}/records",
                       json={"fields": {"Name": "Li Lei", "Age": "1,234", "Tier": "VIP"}})
    assert made.status_code == 201
    record = made.json()
    assert record["fields"] == {"Name": "Li Lei", "Age": 1234.0, "Tier": "VIP"}
    rid = record["id"]
    assert client.get(f"{API}/tables/{tid}/records/{rid}").json() == record
    by_id = client.get(f"{API}/tables/{tid}/records/{rid}", params={"key": "id"}).json()
    assert set(by_id["fields"]) == {str(f["id"]) for f in table["fields"]}
    updated = client.patch(f"{API}/tables/{tid}/records/{rid}", json={"fields": {"Age": 43}})
    assert updated.json()["fields"]["Age"] == 43.0
    assert updated.json()["fields"]["Name"] == "Li Lei"
    assert client.delete(f"{API}/tables/{tid}/records/{rid}").status_code == 204
    assert client.get(f"{API}/tables/{tid}/records/{rid}").status_code == 404
    assert client.patch(f"{API}/tables/{tid}/records/{rid}",
                        json={"fields": {"Age": 1}}).status_code == 404
    assert client.delete(f"{API}/tables/{tid}/records/{rid}").status_code == 404
    assert client.post(f"{API}/tables/999/records", json={"fields": {}}).status_code == 404


def test_history_newest_first(client, table) -> None:
    tid = table["id"]
    rid = client.post(f"{API}/tables/{tid}/records", json={"fields": {"Name": "A"}}).json()["id"]
    client.patch(f"{API}/tables/{tid}/records/{rid}", json={"fields": {"Age": 5}})
    history = client.get(f"{API}/tables/{tid}/records/{rid}/history").json()
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["field_name"] == "Age" and history[0]["new_value"] == 5.0
    client.delete(f"{API}/tables/{tid}/records/{rid}")
    after = client.get(f"{API}/tables/{tid}/records/{rid}/history").json()
    assert after[0]["action"] == "delete"  # history outlives the record
    assert client.get(f"{API}/tables/{tid}/records/999/history").status_code == 404


def test_bulk_update_and_delete(client, people) -> None:
    tid = people["id"]
    ids = [r["id"] for r in client.get(f"{API}/tables/{tid}/records",
                                       params={"limit": 3}).json()["rows"]]
    response = client.post(f"{API}/tables/{tid}/records/bulk-update", json={
        "records": [{"id": i, "fields": {"Age": 100 + n}} for n, i in enumerate(ids)]})
    assert response.json() == {"ids": ids}
    ages = [client.get(f"{API}/tables/{tid}/records/{i}").json()["fields"]["Age"] for i in ids]
    assert ages == [100.0, 101.0, 102.0]
    bad = client.post(f"{API}/tables/{tid}/records/bulk-update",
                      json={"records": [{"id": ids[0], "fields": {"Age": 7}},
                                        {"id": ids[1], "fields": {"Age": "old"}}]})
    assert bad.status_code == 422
    assert client.get(f"{API}/tables/{tid}/records/{ids[0]}").json()["fields"]["Age"] == 100.0
    deleted = client.post(f"{API}/tables/{tid}/records/bulk-delete", json={"ids": ids})
    assert deleted.json() == {"ids": ids}
    assert client.get(f"{API}/tables/{tid}/records/count").json() == {"count": 22}


FILTERS = [
    ("gt", {"field": "Age", "op": ">", "value": 20}, ["p21", "p22", "p23", "p24"]),
    ("between", {"field": "Age", "op": "between", "value": [3, 5]}, ["p03", "p04", "p05"]),
    ("and", {"and": [{"field": "Tier", "op": "=", "value": "VIP"},
                     {"field": "Age", "op": "<", "value": 5}]}, ["p00", "p02", "p04"]),
    ("or", {"or": [{"field": "Name", "op": "=", "value": "P01"},
                   {"field": "Age", "op": ">=", "value": 24}]}, ["p01", "p24"]),
    ("contains", {"field": "Name", "op": "contains", "value": "1"},
     ["p01", "p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p21"]),
    ("in", {"field": "Tier", "op": "in", "value": ["Regular"]},
     [f"p{i:02d}" for i in range(1, 25, 2)]),
    ("by-id", None, ["p07"]),
]


@pytest.mark.parametrize(("spec", "expected"), [c[1:] for c in FILTERS],
                         ids=[c[0] for c in FILTERS])
def test_filters(client, people, spec, expected) -> None:
    if spec is None:  # fields may be referenced by id too
        age = next(f["id"] for f in people["fields"] if f["name"] == "Age")
        spec = {"field": age, "op": "=", "value": 7}
    params = {"filter": json.dumps(spec), "limit": 100}
    page = client.get(f"{API}/tables/{people['id']}/records", params=params).json()
    assert [r["fields"]["Name"] for r in page["rows"]] == expected
    assert page["total"] == len(expected)
    count = client.get(f"{API}/tables/{people['id']}/records/count",
                       params={"filter": json.dumps(spec)}).json()
    assert count == {"count": len(expected)}


@pytest.mark.parametrize(("sort", "limit"), [
    ([{"field": "Age", "direction": "desc"}], 7),
    ([{"field": "Tier"}, {"field": "Age", "direction": "desc"}], 4),
    ([], 10),
], ids=["age-desc", "tier-then-age", "default"])
def test_keyset_pagination_walks_every_row_once(client, people, sort, limit) -> None:
    seen: list[dict] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": limit, "sort": json.dumps(sort)}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/tables/{people['id']}/records", params=params).json()
        assert len(page["rows"]) <= limit
        seen += page["rows"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == -(-25 // limit)
    assert len({r["id"] for r in seen}) == 25
    full = client.get(f"{API}/tables/{people['id']}/records",
                      params={"limit": 1000, "sort": json.dumps(sort)}).json()
    assert [r["id"] for r in seen] == [r["id"] for r in full["rows"]]
    if sort:
        ages = [r["fields"]["Age"] for r in seen]
        if len(sort) == 1:
            assert ages == sorted(ages, reverse=True)


def test_cursor_bound_to_its_sort(client, people) -> None:
    first = client.get(f"{API}/tables/{people['id']}/records",
                       params={"limit": 5, "sort": '[{"field": "Age"}]'}).json()
    other = client.get(f"{API}/tables/{people['id']}/records",
                       params={"cursor": first["next_cursor"],
                               "sort": '[{"field": "Name", "direction": "desc"}]'})
    assert other.status_code == 400
    assert other.json()["error"]["code"] == "invalid_query"


def test_total_can_be_skipped(client, people) -> None:
    page = client.get(f"{API}/tables/{people['id']}/records",
                      params={"total": "false", "limit": 2}).json()
    assert page["total"] is None and len(page["rows"]) == 2


def test_limit_bounds(client, people) -> None:
    assert client.get(f"{API}/tables/{people['id']}/records",
                      params={"limit": 1000}).status_code == 200
    assert client.get(f"{API}/tables/{people['id']}/records",
                      params={"limit": 0}).status_code == 400
