"""Trash: deleting records, fields, tables and views keeps them for 30 days; restore puts them
back with their links and computed fields intact (both backends); the worker purges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera import trash
from tessera.auth.principal import Principal
from tessera.records import RecordService
from tessera.workflow import Worker

ALICE = Principal(user_id=None, username="alice", is_admin=True)


@dataclass
class Clinic:
    engine: sa.Engine
    base_id: int
    customers: int
    visits: int
    link: int           # Visits.Customer (owner side)
    ids: dict[str, int]

    def row(self, table_id: int, record_id: int) -> dict[str, Any]:
        return RecordService(self.engine).get(table_id, record_id)["fields"]

    def field_id(self, table_id: int, name: str) -> int:
        return schema.get_table(self.engine, table_id).field(name).id


@pytest.fixture
def clinic(engine) -> Clinic:
    base = schema.create_base(engine, "Clinic")
    customers = schema.create_table(engine, base.id, "Customers", fields=[
        schema.FieldSpec("Phone", "text"), schema.FieldSpec("Tier", "single_select", {
            "choices": [{"label": "A"}, {"label": "C"}]})])
    visits = schema.create_table(engine, base.id, "Visits", primary_field="Title", fields=[
        schema.FieldSpec("Amount", "number")])
    link = schema.add_field(engine, visits.id, "Customer", "link", {
        "target_table_id": customers.id, "many": False, "inverse_name": "Visits"})
    customers = schema.get_table(engine, customers.id)
    inverse = customers.field("Visits").id
    amount = schema.get_table(engine, visits.id).field("Amount").id
    schema.add_field(engine, customers.id, "Spend", "rollup", {
        "link_field_id": inverse, "target_field_id": amount, "function": "SUM"})
    schema.add_field(engine, customers.id, "Label", "formula",
                     {"formula": '{Name} & " " & {Phone} & " " & {Spend}'})
    schema.add_field(engine, visits.id, "Who", "lookup", {
        "link_field_id": link.id, "target_field_id": customers.field("Phone").id})
    svc = RecordService(engine)
    zhang = svc.create(customers.id, {"Name": "张三", "Phone": "138", "Tier": "A"})["id"]
    li = svc.create(customers.id, {"Name": "李四", "Phone": "139", "Tier": "C"})["id"]
    v1 = svc.create(visits.id, {"Title": "v1", "Amount": 100, "Customer": [zhang]})["id"]
    v2 = svc.create(visits.id, {"Title": "v2", "Amount": 50, "Customer": [zhang]})["id"]
    v3 = svc.create(visits.id, {"Title": "v3", "Amount": 7, "Customer": [li]})["id"]
    return Clinic(engine, base.id, customers.id, visits.id, link.id,
                  {"zhang": zhang, "li": li, "v1": v1, "v2": v2, "v3": v3})


def _state(c: Clinic) -> dict[str, Any]:
    """Everything the user sees, by names (restores may give fields new ids)."""
    out = {}
    for table_id in (c.customers, c.visits):
        table = schema.get_table(c.engine, table_id)
        t = table.sa_table
        with c.engine.connect() as conn:
            ids = conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars().all()
        out[table.name] = {rid: c.row(table_id, rid) for rid in ids}
    return out


def test_record_round_trip_keeps_id_links_and_formulas(clinic) -> None:
    before = _state(clinic)
    item = trash.delete_records(clinic.engine, clinic.customers, [clinic.ids["zhang"]],
                                principal=ALICE)
    assert clinic.row(clinic.visits, clinic.ids["v1"])["Customer"] == []
    assert clinic.row(clinic.visits, clinic.ids["v1"])["Who"] in ("", None)
    listed = trash.list_items(clinic.engine)
    assert [(i.kind, i.label, i.deleted_by) for i in listed] == [
        ("record", f"Customers #{clinic.ids['zhang']}", "alice")]
    result = trash.restore(clinic.engine, item, principal=ALICE)
    assert result["record_ids"] == [clinic.ids["zhang"]]
    assert _state(clinic) == before
    assert trash.list_items(clinic.engine) == []


def test_bulk_record_delete_is_one_item(clinic) -> None:
    before = _state(clinic)
    item = trash.delete_records(clinic.engine, clinic.visits,
                                [clinic.ids["v1"], clinic.ids["v3"]], principal=ALICE)
    assert clinic.row(clinic.customers, clinic.ids["zhang"])["Spend"] == 50
    assert trash.get_item(clinic.engine, item).label == "Visits: 2 records"
    trash.restore(clinic.engine, item, principal=ALICE)
    assert _state(clinic) == before


def test_an_item_is_restored_once(clinic) -> None:
    item = trash.delete_records(clinic.engine, clinic.visits, [clinic.ids["v3"]])
    trash.restore(clinic.engine, item)
    with pytest.raises(trash.NotFoundError):
        trash.restore(clinic.engine, item)


@pytest.mark.parametrize("table, field", [
    ("customers", "Phone"),     # plain values, read by a formula and a lookup elsewhere
    ("visits", "Amount"),       # read by a rollup through the link
    ("customers", "Tier"),      # a select with its choices
    ("customers", "Label"),     # a formula itself
    ("customers", "Spend"),     # a rollup read by a formula
    ("visits", "Who"),          # a lookup
    ("visits", "Customer"),     # the link (both sides), read by a rollup and a lookup
    ("customers", "Visits"),    # the link's inverse side
])
def test_field_round_trip(clinic, table, field) -> None:
    before = _state(clinic)
    table_id = getattr(clinic, table)
    field_id = clinic.field_id(table_id, field)
    item = trash.delete_field(clinic.engine, field_id, principal=ALICE)
    assert field not in {f.name for f in schema.get_table(clinic.engine, table_id).fields}
    trash.restore(clinic.engine, item, principal=ALICE)
    assert _state(clinic) == before
    for t in (clinic.customers, clinic.visits):
        for f in schema.get_table(clinic.engine, t).fields:
            assert not f.options.get("broken"), (f.name, f.options.get("broken"))


def test_table_round_trip_with_links_from_another_table(clinic) -> None:
    before = _state(clinic)
    view = schema.create_view(clinic.engine, clinic.customers, "A tier",
                              filters={"field": "Tier", "op": "=", "value": "A"},
                              sorts=[{"field": clinic.field_id(clinic.customers, "Phone"),
                                      "direction": "desc"}],
                              hidden_fields=["Label"])
    item = trash.delete_table(clinic.engine, clinic.customers, principal=ALICE)
    visits = schema.get_table(clinic.engine, clinic.visits)
    assert {f.name for f in visits.fields} == {"Title", "Amount", "Who"}
    result = trash.restore(clinic.engine, item, principal=ALICE)
    clinic.customers = result["table_id"]
    after = _state(clinic)
    assert after == before
    [restored_view] = schema.list_views(clinic.engine, clinic.customers)
    assert restored_view.name == view.name and restored_view.filters == view.filters
    assert restored_view.sorts == [{"field": clinic.field_id(clinic.customers, "Phone"),
                                    "direction": "desc"}]
    assert restored_view.hidden_fields == [clinic.field_id(clinic.customers, "Label")]
    # the restored schema keeps working: a new visit updates the rollup and the formula
    RecordService(clinic.engine).create(clinic.visits, {
        "Title": "v4", "Amount": 1, "Customer": [clinic.ids["li"]]})
    li = clinic.row(clinic.customers, clinic.ids["li"])
    assert li["Spend"] == 8 and li["Label"] == "李四 139 8"


def test_view_round_trip(clinic) -> None:
    view = schema.create_view(clinic.engine, clinic.visits, "Big",
                              filters={"field": "Amount", "op": ">", "value": 10})
    item = trash.delete_view(clinic.engine, view.id, principal=ALICE)
    assert schema.list_views(clinic.engine, clinic.visits) == []
    trash.restore(clinic.engine, item, principal=ALICE)
    [back] = schema.list_views(clinic.engine, clinic.visits)
    assert (back.name, back.filters) == ("Big", view.filters)


def test_purge_and_expiry_by_the_worker(clinic, monkeypatch) -> None:
    old = trash.delete_records(clinic.engine, clinic.visits, [clinic.ids["v1"]])
    fresh = trash.delete_records(clinic.engine, clinic.visits, [clinic.ids["v2"]])
    gone = trash.delete_records(clinic.engine, clinic.visits, [clinic.ids["v3"]])
    trash.purge(clinic.engine, gone)
    with clinic.engine.begin() as conn:
        conn.execute(trash.TRASH.update().where(trash.TRASH.c.id == old).values(
            deleted_at=trash.utcnow() - dt.timedelta(days=trash.KEEP_DAYS, minutes=1)))
    worker = Worker(clinic.engine, worker_id="test")
    assert worker.purge_trash() == 1
    assert worker.purge_trash() == 0          # at most once an hour per worker
    assert [i.id for i in trash.list_items(clinic.engine)] == [fresh]
    worker.run_once()                         # the periodic job is part of every pass


def test_trash_through_the_api(app, admin_api, engine, clinic, alice) -> None:
    from starlette.testclient import TestClient

    from tessera.auth.bootstrap import bearer
    from tessera.auth.tokens import create_token
    deleted = admin_api.delete(f"/api/v1/tables/{clinic.visits}/records/{clinic.ids['v3']}")
    assert deleted.status_code == 204
    items = admin_api.get("/api/v1/trash").json()
    assert [(i["kind"], i["deleted_by"]) for i in items] == [("record", "root")]
    # another (non-admin) user neither sees nor restores it
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(create_token(engine, "alice")[1])) as as_alice:
        assert as_alice.get("/api/v1/trash").json() == []
        assert as_alice.post(f"/api/v1/trash/{items[0]['id']}/restore").status_code == 403
    restored = admin_api.post(f"/api/v1/trash/{items[0]['id']}/restore")
    assert restored.status_code == 200, restored.text
    assert clinic.row(clinic.visits, clinic.ids["v3"])["Title"] == "v3"
    field = clinic.field_id(clinic.customers, "Phone")
    assert admin_api.delete(f"/api/v1/fields/{field}").status_code == 204
    [item] = admin_api.get("/api/v1/trash?kind=field").json()
    assert admin_api.delete(f"/api/v1/trash/{item['id']}").status_code == 204
    assert admin_api.get("/api/v1/trash").json() == []
    assert admin_api.post("/api/v1/trash/999/restore").status_code == 404


def test_trash_page_restores_and_purges_with_csrf(browser, engine, clinic) -> None:
    from tessera.auth import users

    from .conftest import HTML, PASSWORD, form_token, sign_in

    users.create_user(engine, "boss", PASSWORD, is_admin=True)
    keep = trash.delete_records(engine, clinic.visits, [clinic.ids["v1"]])
    drop = trash.delete_records(engine, clinic.visits, [clinic.ids["v2"]])
    sign_in(browser, "boss")
    page = browser.get("/admin/trash", headers=HTML)
    assert page.status_code == 200 and "Visits #" in page.text
    token = form_token(page.text)
    assert browser.post(f"/admin/trash/{keep}/restore").status_code == 403  # no token
    done = browser.post(f"/admin/trash/{keep}/restore", data={"csrf_token": token})
    assert done.status_code == 303
    # multipart forms carry the token too
    purged = browser.post(f"/admin/trash/{drop}/purge", data={"csrf_token": token},
                          files={"unused": ("a.txt", b"x")})
    assert purged.status_code == 303
    assert trash.list_items(engine) == []
    assert clinic.row(clinic.visits, clinic.ids["v1"])["Title"] == "v1"
