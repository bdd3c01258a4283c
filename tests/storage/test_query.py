"""Filters per type and operator, nested groups, multi-sort, keyset pagination, counts."""

from __future__ import annotations

from datetime import date

import pytest

from tessera import schema_ops as schema
from tessera.errors import QueryError
from tessera.query import count_records, ensure_sort_index, query_records, query_view
from tessera.records import RecordService

TODAY = date(2024, 3, 15)
SELECT = {"choices": [{"label": "VIP"}, {"label": "New"}, {"label": "Lapsed"}]}
FIELDS = [("Age", "number", None), ("Spend", "currency", None), ("Active", "checkbox", None),
          ("Visit", "date", None), ("Seen", "datetime", None), ("Tier", "single_select", SELECT),
          ("Tags", "multi_select", SELECT), ("Email", "email", None)]
ROWS = [  # Name, Age, Spend, Active, Visit, Seen, Tier, Tags, Email
    ("Ann", 30, 100, True, "2024-03-15", "2024-03-15 08:00", "VIP", "VIP, New", "ann@a.cn"),
    ("bob", 45, None, False, "2024-03-10", "2024-03-01 23:00", "New", "New", None),
    ("Cai", None, 50.5, None, "2024-02-20", None, None, None, "cai@b.cn"),
    ("Dai", 30, 2000, True, "2024-03-20", "2024-03-16 01:00", "Lapsed", "Lapsed, VIP", None),
    ("Eve_1", 18, 0, False, None, "2023-12-31 12:00", "VIP", None, "eve@a.cn"),
]

# (filter, expected names)
FILTERS = [
    ({"field": "Age", "op": "=", "value": "30"}, ["Ann", "Dai"]),
    ({"field": "Age", "op": "!=", "value": 30}, ["bob", "Cai", "Eve_1"]),
    ({"field": "Age", "op": "≠", "value": 30}, ["bob", "Cai", "Eve_1"]),
    ({"field": "Age", "op": "<", "value": 30}, ["Eve_1"]),
    ({"field": "Age", "op": "≤", "value": 30}, ["Ann", "Dai", "Eve_1"]),
    ({"field": "Age", "op": ">", "value": 30}, ["bob"]),
    ({"field": "Age", "op": ">=", "value": 30}, ["Ann", "bob", "Dai"]),
    ({"field": "Age", "op": "between", "value": [18, 30]}, ["Ann", "Dai", "Eve_1"]),
    ({"field": "Age", "op": "is_empty"}, ["Cai"]),
    ({"field": "Age", "op": "is_not_empty"}, ["Ann", "bob", "Dai", "Eve_1"]),
    ({"field": "Spend", "op": ">", "value": "¥99"}, ["Ann", "Dai"]),
    ({"field": "Active", "op": "=", "value": "是"}, ["Ann", "Dai"]),
    ({"field": "Active", "op": "=", "value": False}, ["bob", "Cai", "Eve_1"]),
    ({"field": "Name", "op": "=", "value": "BOB"}, ["bob"]),
    ({"field": "Name", "op": "contains", "value": "a"}, ["Ann", "Cai", "Dai"]),
    ({"field": "Name", "op": "contains", "value": "_"}, ["Eve_1"]),
    ({"field": "Name", "op": "not_contains", "value": "a"}, ["bob", "Eve_1"]),
    ({"field": "Name", "op": "starts_with", "value": "d"}, ["Dai"]),
    ({"field": "Email", "op": "is_empty"}, ["bob", "Dai"]),
    ({"field": "Email", "op": "contains", "value": "@a."}, ["Ann", "Eve_1"]),
    ({"field": "Tier", "op": "in", "value": ["VIP", "Lapsed"]}, ["Ann", "Dai", "Eve_1"]),
    ({"field": "Tier", "op": "=", "value": "new"}, ["bob"]),
    ({"field": "Tier", "op": "is_empty"}, ["Cai"]),
    ({"field": "Tags", "op": "has_any", "value": ["Lapsed", "New"]}, ["Ann", "bob", "Dai"]),
    ({"field": "Tags", "op": "has_all", "value": ["VIP", "New"]}, ["Ann"]),
    ({"field": "Tags", "op": "has_none", "value": ["VIP"]}, ["bob", "Cai", "Eve_1"]),
    ({"field": "Tags", "op": "is_empty"}, ["Cai", "Eve_1"]),
    ({"field": "Visit", "op": "before", "value": "2024/3/10"}, ["Cai"]),
    ({"field": "Visit", "op": "after", "value": "2024-03-10"}, ["Ann", "Dai"]),
    ({"field": "Visit", "op": "on", "value": "2024年3月10日"}, ["bob"]),
    ({"field": "Visit", "op": "today"}, ["Ann"]),
    ({"field": "Visit", "op": "within_last_days", "value": 7}, ["Ann", "bob"]),
    ({"field": "Visit", "op": "within_next_days", "value": 7}, ["Ann", "Dai"]),
    ({"field": "Visit", "op": "this_month"}, ["Ann", "bob", "Dai"]),
    ({"field": "Visit", "op": "<", "value": "2024-03-15"}, ["bob", "Cai"]),
    ({"field": "Visit", "op": "is_empty"}, ["Eve_1"]),
    ({"field": "Seen", "op": "on", "value": "2024-03-15"}, ["Ann"]),
    ({"field": "Seen", "op": "this_month"}, ["Ann", "bob", "Dai"]),
    ({"field": "Seen", "op": "before", "value": "2024-01-01"}, ["Eve_1"]),
    ({"field": "Seen", "op": ">", "value": "2024-03-15 08:00"}, ["Dai"]),
    ({"and": [{"field": "Age", "op": "=", "value": 30},
              {"or": [{"field": "Tier", "op": "=", "value": "Lapsed"},
                      {"field": "Spend", "op": "<", "value": 150}]}]}, ["Ann", "Dai"]),
    ({"or": [{"field": "Age", "op": "is_empty"}, {"field": "Name", "op": "=", "value": "Eve_1"}]},
     ["Cai", "Eve_1"]),
    ({"and": []}, ["Ann", "bob", "Cai", "Dai", "Eve_1"]),
]


@pytest.fixture(scope="module")
def customers(shared_engine, shared_base):
    table = schema.create_table(shared_engine, shared_base, "Query customers", fields=[
        schema.FieldSpec(*f) for f in FIELDS])
    names = ["Name"] + [f[0] for f in FIELDS]
    RecordService(shared_engine).bulk_create(table.id, [dict(zip(names, r, strict=True))
                                                        for r in ROWS])
    return table


def _names(page):
    return [r["fields"]["Name"] for r in page.rows]


@pytest.mark.parametrize("spec, expected", FILTERS, ids=[str(f) for f, _ in FILTERS])
def test_filter(shared_engine, customers, spec, expected):
    page = query_records(shared_engine, customers.id, filter=spec, today=TODAY)
    assert _names(page) == expected
    assert page.total == len(expected)
    assert count_records(shared_engine, customers.id, filter=spec, today=TODAY) == len(expected)


@pytest.mark.parametrize("spec", [
    {"field": "Tags", "op": "<", "value": 1},
    {"field": "Active", "op": "contains", "value": "x"},
    {"field": "Age", "op": "resembles", "value": 1},
    {"field": "Age"},
    {"field": "Visit", "op": "on", "value": "whenever"},
])
def test_bad_filters_are_refused(shared_engine, customers, spec):
    with pytest.raises(QueryError):
        query_records(shared_engine, customers.id, filter=spec)


@pytest.mark.parametrize("sort, expected", [
    ([{"field": "Age"}], ["Eve_1", "Ann", "Dai", "bob", "Cai"]),
    ([{"field": "Age", "direction": "desc"}], ["bob", "Ann", "Dai", "Eve_1", "Cai"]),
    ([{"field": "Age"}, {"field": "Spend", "direction": "desc"}],
     ["Eve_1", "Dai", "Ann", "bob", "Cai"]),
    ([{"field": "Visit", "direction": "desc"}], ["Dai", "Ann", "bob", "Cai", "Eve_1"]),
    ([{"field": "Tier"}, {"field": "Name"}], ["Dai", "bob", "Ann", "Eve_1", "Cai"]),
])
def test_multi_sort_nulls_last(shared_engine, customers, sort, expected):
    assert _names(query_records(shared_engine, customers.id, sort=sort)) == expected


def test_cursor_is_bound_to_its_sort(shared_engine, customers):
    page = query_records(shared_engine, customers.id, sort=[{"field": "Age"}], limit=2)
    assert page.next_cursor
    with pytest.raises(QueryError):
        query_records(shared_engine, customers.id, sort=[{"field": "Spend"}],
                      cursor=page.next_cursor)
    with pytest.raises(QueryError):
        query_records(shared_engine, customers.id, cursor="garbage")


def test_view_applies_filters_sorts_and_hides_fields(shared_engine, customers):
    view = schema.create_view(shared_engine, customers.id, "Thirties",
                              filters={"field": "Age", "op": "=", "value": 30},
                              sorts=[{"field": "Spend", "direction": "desc"}],
                              hidden_fields=["Email", "Tags"])
    page = query_view(shared_engine, view.id)
    assert _names(page) == ["Dai", "Ann"]
    assert "Email" not in page.rows[0]["fields"] and "Tags" not in page.rows[0]["fields"]
    assert page.rows[0]["fields"]["Spend"] == 2000.0


@pytest.mark.parametrize("sort", [
    [{"field": "Score"}],
    [{"field": "Score", "direction": "desc"}, {"field": "Group"}],
    [{"field": "Group", "direction": "desc"}, {"field": "Score", "direction": "desc"}],
    [{"field": "When"}, {"field": "Group"}],
    [],
])
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_keyset_pages_visit_every_row_once_in_order(engine, records, make_table, sort, limit):
    table = make_table("P", [("Score", "number", None), ("Group", "text", None),
                             ("When", "date", None)])
    rows = [{"Score": [None, 1, 2, 2, 3][i % 5], "Group": [None, "a", "b"][i % 3],
             "When": None if i % 4 == 0 else f"2024-01-{i % 9 + 1:02d}"} for i in range(53)]
    ids = records.bulk_create(table.id, rows)
    filt = {"field": "Score", "op": "!=", "value": 3}
    seen, cursor = [], None
    while True:
        page = query_records(engine, table.id, filter=filt, sort=sort, limit=limit,
                             cursor=cursor)
        seen += [r["id"] for r in page.rows]
        assert page.total == sum(1 for r in rows if r["Score"] != 3)
        cursor = page.next_cursor
        if not cursor:
            break

    def key(pair):          # the oracle: Python sort with nulls last, id as tiebreaker
        rid, row = pair
        parts = []
        for item in sort:
            value = row[item["field"]]
            if item["field"] == "When" and value is not None:
                value = date.fromisoformat(value).toordinal()
            desc = item.get("direction") == "desc"
            parts += [value is None, 0 if value is None else
                      (-value if desc and not isinstance(value, str) else value)]
        return parts, rid

    expected_pairs = [(rid, r) for rid, r in zip(ids, rows, strict=True) if r["Score"] != 3]
    has_desc_text = any(i.get("direction") == "desc" and i["field"] == "Group" for i in sort)
    if has_desc_text:
        expected = _sort_with_text_desc(expected_pairs, sort)
    else:
        expected = [rid for rid, _ in sorted(expected_pairs, key=key)]
    assert seen == expected
    assert len(seen) == len(set(seen))


def _sort_with_text_desc(pairs, sort):
    """Stable multi-pass sort (last key first) for keys with descending text."""
    ordered = sorted(pairs, key=lambda p: p[0])
    for item in reversed(sort):
        name, desc = item["field"], item.get("direction") == "desc"
        present = [p for p in ordered if p[1][name] is not None]
        missing = [p for p in ordered if p[1][name] is None]
        present.sort(key=lambda p, n=name: p[1][n], reverse=desc)
        ordered = present + missing
    return [rid for rid, _ in ordered]


def test_ensure_sort_index_is_idempotent(engine, make_table):
    table = make_table("T", [("Age", "number", None)])
    first = ensure_sort_index(engine, table.id, [{"field": "Age"}])
    assert first == ensure_sort_index(engine, table.id, [{"field": "Age", "direction": "desc"}])
    assert first.endswith(f"f_{table.field('Age').id}__id")
    assert ensure_sort_index(engine, table.id, []) is None
