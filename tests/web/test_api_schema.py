"""Bases, tables, fields and views through the API: every route's success path, plus the
failures specific to each (conflicts, missing parents, type changes)."""

from __future__ import annotations

API = "/api/v1"


def _field(table: dict, name: str) -> dict:
    return next(f for f in table["fields"] if f["name"] == name)


def test_bases_crud(client) -> None:
    assert client.get(f"{API}/bases").json() == []
    created = client.post(f"{API}/bases", json={"name": "  Dental  "})
    assert created.status_code == 201
    base = created.json()
    assert base["name"] == "Dental"
    assert client.get(f"{API}/bases").json() == [base]
    assert client.get(f"{API}/bases/{base['id']}").json() == base
    renamed = client.patch(f"{API}/bases/{base['id']}", json={"name": "Dental group"})
    assert renamed.json() == {"id": base["id"], "name": "Dental group"}
    assert client.delete(f"{API}/bases/{base['id']}").status_code == 204
    assert client.get(f"{API}/bases/{base['id']}").status_code == 404
    assert client.delete(f"{API}/bases/{base['id']}").status_code == 404
    assert client.patch(f"{API}/bases/{base['id']}", json={"name": "x"}).status_code == 404


def test_tables_crud(client) -> None:
    base = client.post(f"{API}/bases", json={"name": "B"}).json()
    made = client.post(f"{API}/bases/{base['id']}/tables",
                       json={"name": "Visits", "primary_field": "Title"})
    assert made.status_code == 201
    table = made.json()
    assert [f["name"] for f in table["fields"]] == ["Title"]
    assert table["fields"][0]["is_primary"] is True
    assert client.get(f"{API}/bases/{base['id']}/tables").json() == [table]
    assert client.get(f"{API}/tables/{table['id']}").json() == table
    duplicate = client.post(f"{API}/bases/{base['id']}/tables", json={"name": "visits"})
    assert duplicate.status_code == 409
    renamed = client.patch(f"{API}/tables/{table['id']}", json={"name": "Appointments"})
    assert renamed.json()["name"] == "Appointments"
    assert client.delete(f"{API}/tables/{table['id']}").status_code == 204
    assert client.get(f"{API}/tables/{table['id']}").status_code == 404
    assert client.get(f"{API}/bases/{base['id']}/tables").json() == []
    assert client.get(f"{API}/bases/999/tables").status_code == 404
    assert client.post(f"{API}/bases/999/tables", json={"name": "X"}).status_code == 404


def test_fields_crud_and_rename(client, table) -> None:
    tid = table["id"]
    made = client.post(f"{API}/tables/{tid}/fields", json={"name": "Email", "type": "email"})
    assert made.status_code == 201
    email = made.json()
    assert email["type"] == "email" and email["table_id"] == tid
    names = [f["name"] for f in client.get(f"{API}/tables/{tid}/fields").json()]
    assert names == ["Name", "Age", "Tier", "Email"]
    assert client.get(f"{API}/fields/{email['id']}").json() == email
    renamed = client.patch(f"{API}/fields/{email['id']}", json={"name": "E-mail"}).json()
    assert renamed["field"]["name"] == "E-mail" and renamed["conversion"] is None
    clash = client.patch(f"{API}/fields/{email['id']}", json={"name": "Age"})
    assert clash.status_code == 409
    assert client.get(f"{API}/fields/{email['id']}").json()["name"] == "E-mail"
    assert client.delete(f"{API}/fields/{email['id']}").status_code == 204
    assert client.get(f"{API}/fields/{email['id']}").status_code == 404
    assert client.get(f"{API}/tables/999/fields").status_code == 404


def test_field_options_update(client, table) -> None:
    tier = _field(table, "Tier")
    choices = [{"label": "VIP"}, {"label": "Regular"}, {"label": "New"}]
    updated = client.patch(f"{API}/fields/{tier['id']}", json={"options": {"choices": choices}})
    assert updated.status_code == 200
    labels = [c["label"] for c in updated.json()["field"]["options"]["choices"]]
    assert labels == ["VIP", "Regular", "New"]


def test_type_change_preview_then_apply(client, table) -> None:
    tid = table["id"]
    note = client.post(f"{API}/tables/{tid}/fields", json={"name": "Note", "type": "text"}).json()
    for value in ["12", "abc", "3.5"]:
        client.post(f"{API}/tables/{tid}/records", json={"fields": {"Note": value}})
    preview = client.post(f"{API}/fields/{note['id']}/conversion-preview",
                          json={"type": "number"})
    assert preview.status_code == 200
    report = preview.json()
    assert (report["total"], report["converted"]) == (3, 2)
    assert [r["original_value"] for r in report["rejected"]] == ["abc"]
    assert client.get(f"{API}/fields/{note['id']}").json()["type"] == "text"  # preview only
    applied = client.patch(f"{API}/fields/{note['id']}",
                           json={"type": "number", "name": "Amount"}).json()
    assert applied["field"]["type"] == "number" and applied["field"]["name"] == "Amount"
    assert applied["conversion"]["converted"] == 2
    rows = client.get(f"{API}/tables/{tid}/records", params={"sort": '[{"field": "Amount"}]'})
    assert [r["fields"]["Amount"] for r in rows.json()["rows"]] == [3.5, 12.0, None]


def test_type_change_refused_is_atomic(client, table) -> None:
    link = client.post(f"{API}/tables/{table['id']}/fields", json={
        "name": "Friends", "type": "link", "options": {"target_table_id": table["id"]}}).json()
    refused = client.patch(f"{API}/fields/{link['id']}", json={"name": "Pals", "type": "text"})
    assert refused.status_code == 400
    assert client.get(f"{API}/fields/{link['id']}").json()["name"] == "Friends"


def test_views_crud_and_records_through_view(client, table) -> None:
    tid = table["id"]
    rows = [{"fields": {"Name": n, "Age": a, "Tier": t}} for n, a, t in
            [("Ann", 30, "VIP"), ("Bo", 50, "Regular"), ("Cy", 40, "VIP")]]
    client.post(f"{API}/tables/{tid}/records/bulk-create", json={"records": rows})
    age = _field(table, "Age")["id"]
    made = client.post(f"{API}/tables/{tid}/views", json={
        "name": "VIPs", "filters": {"field": "Tier", "op": "=", "value": "VIP"},
        "sorts": [{"field": "Age", "direction": "desc"}], "hidden_fields": [age]})
    assert made.status_code == 201
    view = made.json()
    assert client.get(f"{API}/tables/{tid}/views").json() == [view]
    assert client.get(f"{API}/views/{view['id']}").json() == view
    page = client.get(f"{API}/views/{view['id']}/records").json()
    assert [r["fields"]["Name"] for r in page["rows"]] == ["Cy", "Ann"]
    assert "Age" not in page["rows"][0]["fields"]
    narrowed = client.get(f"{API}/views/{view['id']}/records",
                          params={"filter": '{"field": "Name", "op": "=", "value": "ann"}'})
    assert [r["fields"]["Name"] for r in narrowed.json()["rows"]] == ["Ann"]
    updated = client.patch(f"{API}/views/{view['id']}", json={"name": "Top", "filters": None})
    assert updated.json()["name"] == "Top" and updated.json()["filters"] is None
    assert client.get(f"{API}/views/{view['id']}/records").json()["total"] == 3
    bad = client.patch(f"{API}/views/{view['id']}", json={"sorts": [{"field": "Nope"}]})
    assert bad.status_code in (400, 404)
    assert client.delete(f"{API}/views/{view['id']}").status_code == 204
    assert client.get(f"{API}/views/{view['id']}").status_code == 404
    assert client.get(f"{API}/views/{view['id']}/records").status_code == 404
    assert client.get(f"{API}/tables/999/views").status_code == 404


def test_bad_formula_is_a_400_with_its_position(client, table) -> None:
    for formula, code, column in [("{Nope} + 1", "reference.unknown_field", 1),
                                  ("1 + (2", "syntax.unclosed_paren", 7)]:
        response = client.post(f"{API}/tables/{table['id']}/fields", json={
            "name": "F", "type": "formula", "options": {"formula": formula}})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "formula_error"
        assert error["details"]["column"] == column
        assert error["details"]["code"].split(".")[0] == code.split(".")[0]
    assert [f["name"] for f in client.get(f"{API}/tables/{table['id']}").json()["fields"]
            if f["name"] == "F"] == []


def test_a_formula_too_deep_for_the_database_is_a_400(client, table, backend_url) -> None:
    sqlite = backend_url.startswith("sqlite")  # the limit is SQLite's parser stack
    formula = '"abcdefghijklmnop"'
    for _ in range(12):
        formula = f'REPLACE({formula}, 2, 1, "x")'
    client.post(f"{API}/tables/{table['id']}/records", json={"fields": {}})
    response = client.post(f"{API}/tables/{table['id']}/fields", json={
        "name": "Deep", "type": "formula", "options": {"formula": formula}})
    if sqlite:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "formula_too_complex"
        assert "Deep" not in [f["name"] for f in client.get(f"{API}/tables/{table['id']}").json()["fields"]]
    else:
        assert response.status_code == 201, response.text
