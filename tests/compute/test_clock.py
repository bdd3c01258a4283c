"""Clock-dependent formulas: computed for the engine's day, refreshed when the day changes."""

from __future__ import annotations

import datetime as dt

from tessera import schema_ops as schema
from tessera.compute import refresh_clock


def test_clock_formulas_follow_the_engine_day(clinic, monkeypatch):
    monkeypatch.setenv("TESSERA_TODAY", "2024-03-10")
    since = clinic.add(clinic.visits, "Days since", "formula", {"formula": "TODAY() - {Day}"})
    late = clinic.add(clinic.visits, "Late", "formula", {"formula": "IF({Days since} > 60, \"late\", \"ok\")"})
    assert since.options["volatile"] and since.options["clock_date"] == "2024-03-10"
    assert not late.options["volatile"]
    assert clinic.values(clinic.visits, "Days since") == {"v1": 65.0, "v2": 38.0, "v3": 9.0}
    assert clinic.values(clinic.visits, "Late") == {"v1": "late", "v2": "ok", "v3": "ok"}

    assert refresh_clock(clinic.engine) == []  # same day: nothing to do
    monkeypatch.setenv("TESSERA_TODAY", "2024-04-05")
    assert refresh_clock(clinic.engine) == [since.id]
    assert clinic.values(clinic.visits, "Days since") == {"v1": 91.0, "v2": 64.0, "v3": 35.0}
    assert clinic.values(clinic.visits, "Late") == {"v1": "late", "v2": "late", "v3": "ok"}
    assert schema.get_field(clinic.engine, since.id).options["clock_date"] == "2024-04-05"
    assert refresh_clock(clinic.engine) == []
    assert refresh_clock(clinic.engine, force=True) == [since.id]


def test_explicit_day_and_new_records(clinic, monkeypatch):
    monkeypatch.setenv("TESSERA_TODAY", "2024-03-01")
    clinic.add(clinic.visits, "Age in days", "formula", {"formula": "TODAY() - {Day}"})
    assert refresh_clock(clinic.engine, dt.date(2024, 3, 2)) != []
    assert clinic.values(clinic.visits, "Age in days")["v3"] == 1.0
    rec = clinic.svc.create(clinic.visits, {"Name": "v4", "Day": "2024-02-29"})
    assert rec["fields"]["Age in days"] == 1.0  # the engine clock: TESSERA_TODAY


def test_now_is_midnight_of_a_fixed_day(clinic, monkeypatch):
    monkeypatch.setenv("TESSERA_TODAY", "2024-03-01")
    clinic.add(clinic.customers, "Stamp", "formula", {"formula": "NOW()"})
    assert clinic.values(clinic.customers, "Stamp")["ann"] == "2024-03-01T00:00:00Z"
