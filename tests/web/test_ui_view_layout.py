"""Saved views open on their kind's page with their layout (server side, both backends):
the sidebar links each view to its page, the grid page redirects a non-grid view there and
hands the grid its layout, the kanban stacks by the saved stack field (or by a grouped
formula's values, read-only), the calendar places records by the saved date field, the form
shows the saved fields, and every page's save button carries the kind and layout it stores."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

API = "/api/v1"
HTML = {"accept": "text/html"}


@pytest.fixture
def deals(client) -> dict[str, Any]:
    base = client.post(f"{API}/bases", json={"name": "Sales"}).json()
    table = client.post(f"{API}/bases/{base['id']}/tables", json={
        "name": "Deals",
        "fields": [{"name": "Stage", "type": "single_select",
                    "options": {"choices": [{"label": "New"}, {"label": "Won"}]}},
                   {"name": "Region", "type": "single_select",
                    "options": {"choices": [{"label": "North"}, {"label": "South"}]}},
                   {"name": "Amount", "type": "number"},
                   {"name": "Opened", "type": "date"},
                   {"name": "Closed", "type": "date"},
                   {"name": "Size", "type": "formula",
                    "options": {"formula": 'IF({Amount} >= 100, "big", "small")'}}]}).json()
    rows = [{"Name": "A", "Stage": "New", "Region": "North", "Amount": 50,
             "Opened": "2026-03-02", "Closed": "2026-03-20"},
            {"Name": "B", "Stage": "Won", "Region": "South", "Amount": 500,
             "Opened": "2026-03-05", "Closed": "2026-03-09"},
            {"Name": "C", "Stage": "Won", "Region": "North", "Amount": 150,
             "Opened": "2026-03-07", "Closed": None}]
    made = client.post(f"{API}/tables/{table['id']}/records/bulk-create",
                       json={"records": [{"fields": r} for r in rows]})
    assert made.status_code == 201, made.text
    return table


def _view(client, table, **body) -> dict[str, Any]:
    made = client.post(f"{API}/tables/{table['id']}/views", json={"name": "V", **body})
    assert made.status_code == 201, made.text
    return made.json()


def _fid(table, name: str) -> int:
    return next(f["id"] for f in table["fields"] if f["name"] == name)


def _save_button(page: str) -> dict[str, Any]:
    tag = re.search(r'<button[^>]*id="btn-save-view"[^>]*>', page, re.S).group(0)
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}
    return {"kind": attrs["kind"], "layout": json.loads(attrs["layout"]),
            "view": attrs.get("view-id")}


def _columns(page: str) -> list[str]:
    return re.findall(r'<section class="kanban-column" data-value="([^"]*)"', page)


@pytest.mark.parametrize("kind, path", [
    ("grid", ""), ("kanban", "/kanban"), ("calendar", "/calendar"), ("form", "/form")])
def test_sidebar_and_grid_page_open_a_view_on_its_kind_page(client, deals, kind, path) -> None:
    view = _view(client, deals, kind=kind)
    tid = deals["id"]
    expected = f"/tables/{tid}{path}?view={view['id']}"
    sidebar = client.get(f"/tables/{tid}/form", headers=HTML).text
    assert f'href="{expected}" data-view-id="{view["id"]}" data-view-kind="{kind}"' in sidebar
    opened = client.get(f"/tables/{tid}?view={view['id']}", headers=HTML, follow_redirects=False)
    if kind == "grid":
        assert opened.status_code == 200
    else:
        assert opened.status_code == 303 and opened.headers["location"] == expected
        assert client.get(expected, headers=HTML).status_code == 200


def test_grid_page_hands_the_grid_its_saved_layout(client, deals) -> None:
    layout = {"group_by": [_fid(deals, "Stage")], "fields": [_fid(deals, "Amount"),
                                                             _fid(deals, "Name")],
              "row_height": "tall"}
    view = _view(client, deals, layout=layout)
    page = client.get(f"/tables/{deals['id']}?view={view['id']}", headers=HTML).text
    config = json.loads(html.unescape(re.search(r'data-config="([^"]*)"', page).group(1)))
    assert config["view"]["kind"] == "grid" and config["view"]["layout"] == layout


@pytest.mark.parametrize("layout, query, columns, stack, draggable, saved", [
    ({"stack_field": "Region"}, "", ["North", "South", ""], "Region", True,
     {"stack_field": "Region"}),
    ({"stack_field": "Region"}, "&field={Stage}", ["New", "Won", ""], "Stage", True,
     {"stack_field": "Stage"}),
    ({"group_by": ["Size"]}, "", ["big", "small", ""], "Size", False, {"group_by": ["Size"]}),
    ({"group_by": ["Size"]}, "&field={Size}", ["big", "small", ""], "Size", False,
     {"group_by": ["Size"]}),
    ({"group_by": ["Size"]}, "&field={Region}", ["North", "South", ""], "Region", True,
     {"group_by": ["Size"], "stack_field": "Region"}),
    ({}, "", ["New", "Won", ""], "Stage", True, {"stack_field": "Stage"}),
])
def test_kanban_stacks_by_the_saved_field(client, deals, layout, query, columns, stack,
                                          draggable, saved) -> None:
    names = {f["name"]: f["id"] for f in deals["fields"]}
    stored = {k: ([names[n] for n in v] if isinstance(v, list) else names[v])
              for k, v in layout.items()}
    view = _view(client, deals, kind="kanban", layout=stored)
    url = f"/tables/{deals['id']}/kanban?view={view['id']}" + query.format(**names)
    page = client.get(url, headers=HTML).text
    assert _columns(page) == columns
    assert f'data-field-id="{names[stack]}"' in page
    assert ('data-readonly="true"' not in page) is draggable
    button = _save_button(page)
    expected = {k: ([names[n] for n in v] if isinstance(v, list) else names[v])
                for k, v in saved.items()}
    assert button == {"kind": "kanban", "layout": expected, "view": str(view["id"])}


def test_kanban_applies_the_view_filter_and_card_fields(client, deals) -> None:
    view = _view(client, deals, kind="kanban",
                 filters={"field": "Amount", "op": ">", "value": 100},
                 layout={"stack_field": "Stage", "fields": ["Amount"]})
    page = client.get(f"/tables/{deals['id']}/kanban?view={view['id']}", headers=HTML).text
    assert re.findall(r"<strong>([^<]*)</strong>", page) == ["B", "C"]
    assert "Amount: 500" in page and "Region:" not in page


@pytest.mark.parametrize("layout, query, field, days", [
    ({"date_field": "Closed"}, "", "Closed", {"2026-03-20": ["A"], "2026-03-09": ["B"]}),
    ({"date_field": "Closed"}, "&field={Opened}", "Opened",
     {"2026-03-02": ["A"], "2026-03-05": ["B"], "2026-03-07": ["C"]}),
    ({}, "", "Opened", {"2026-03-02": ["A"], "2026-03-05": ["B"], "2026-03-07": ["C"]}),
])
def test_calendar_places_records_by_the_saved_date_field(client, deals, layout, query, field,
                                                         days) -> None:
    names = {f["name"]: f["id"] for f in deals["fields"]}
    view = _view(client, deals, kind="calendar",
                 layout={k: names[v] for k, v in layout.items()})
    page = client.get(f"/tables/{deals['id']}/calendar?view={view['id']}&month=2026-03"
                      + query.format(**names), headers=HTML).text
    found: dict[str, list[str]] = {}
    for day, cell in re.findall(r'<td data-date="([^"]+)">(.*?)</td>', page, re.S):
        events = re.findall(r'class="event"[^>]*>([^<]*)</a>', cell)
        if events:
            found[day] = events
    assert found == days
    assert f'<option value="{names[field]}" selected>' in page
    assert f"?view={view['id']}&amp;field={names[field]}&amp;month=2026-02" in page
    assert _save_button(page)["layout"] == {"date_field": names[field]}


def test_form_shows_the_saved_fields_in_order(client, deals) -> None:
    view = _view(client, deals, kind="form", layout={"fields": ["Amount", "Stage"]})
    page = client.get(f"/tables/{deals['id']}/form?view={view['id']}", headers=HTML).text
    labels = re.findall(r'<label for="f_(\d+)">', page)
    assert labels == [str(_fid(deals, "Amount")), str(_fid(deals, "Stage"))]
    assert _save_button(page)["kind"] == "form"


def test_pages_without_a_view_offer_save_as_new(client, deals) -> None:
    page = client.get(f"/tables/{deals['id']}/kanban", headers=HTML).text
    assert _save_button(page) == {"kind": "kanban", "view": None,
                                  "layout": {"stack_field": _fid(deals, "Stage")}}
