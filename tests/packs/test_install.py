"""Install: one transaction that creates the base, its schema, views, dashboards and
automations from a pack (SQLite and PostgreSQL); a failure anywhere leaves nothing behind."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera import dashboards
from tessera import schema_ops as schema
from tessera.packs import PackError, install, load_pack
from tessera.packs.builder import Builder
from tessera.packs.models import DASHBOARDS, INSTALLED_PACKS
from tessera.packs.store import load_installed
from tessera.query import query_records, query_view
from tessera.records import RecordService
from tessera.schema import catalog
from tessera.workflow.models import AUTOMATIONS, RUNS

from .conftest import GYM, SHOP_V1, fields_of, user_tables

INSTALL_MODULE = sys.modules["tessera.packs.install"]  # (tessera.packs.install is the function)


def test_gym_pack_installs_with_tables_fields_views_dashboards_automations(engine) -> None:
    result = install(engine, GYM, "健身房")
    tables = {t.name: t for t in schema.list_tables(engine, result.base_id)}
    assert list(tables) == ["会员", "会员卡", "课程", "签到"]
    assert fields_of(engine, tables["会员"].id) == {
        "姓名": ("text", None), "手机": ("phone", None), "生日": ("date", None),
        "入会日期": ("date", None), "最近到期日": ("rollup", "MAX({会员卡}.{到期日})"),
        "剩余天数": ("formula", "IF(ISBLANK({最近到期日}), BLANK(), {最近到期日} - TODAY())"),
        "近30天到店": ("formula", "SUM({签到}.{近30天})"),
        "状态": ("formula", 'IF(ISBLANK({最近到期日}), "未开卡", IF({剩余天数} < 0, "已过期", '
                            'IF({剩余天数} <= 7, "即将到期", "有效")))'),
        "会员卡": ("link", None), "签到": ("link", None)}
    plan = tables["会员卡"].field("卡种")
    assert [c["label"] for c in plan.options["choices"]] == ["月卡", "季卡", "年卡", "次卡"]
    assert result.field_id("members", "memberships") == tables["会员"].field("会员卡").id
    view = schema.get_view(engine, result.ids.views["expiring"])
    assert view.filters == {"field": tables["会员"].field("状态").id, "op": "=", "value": "即将到期"}
    assert view.sorts == [{"field": tables["会员"].field("剩余天数").id, "direction": "asc"}]
    board = dashboards.get_dashboard(engine, result.ids.dashboards["overview"])
    assert board.widgets[0] == {"type": "pie", "title": {"zh-CN": "会员状态", "en": "Member status"},
                                "table_id": tables["会员"].id, "aggregate": "count",
                                "group_by_field_id": tables["会员"].field("状态").id,
                                "order": ["有效", "即将到期", "已过期", "未开卡"]}
    assert board.widgets[1]["view_id"] == view.id
    automation = wf.get_automation(engine, result.ids.automations["expiry_reminder"])
    assert automation["enabled"] and automation["table_id"] == tables["会员"].id
    with engine.connect() as conn:
        installed = load_installed(conn, result.base_id)
    assert installed is not None and (installed.name, installed.version) == ("gym_membership", "1.0.0")
    assert installed.snapshot["roles"][1] == {"key": "coach", "name": "教练", "role": "viewer",
                                              "labels": {"en": "Coach"},
                                              "tables": ["classes", "checkins"]}
    assert installed.ids.to_json() == result.ids.to_json()


# (last expiry relative to today 2025-03-01, check-ins days ago) → (剩余天数, 近30天到店, 状态)
GYM_CASES = [
    (None, [], (None, 0.0, "未开卡")),
    ("2025-03-08", [1, 30, 31], (7.0, 2.0, "即将到期")),
    ("2025-03-09", [0], (8.0, 1.0, "有效")),
    ("2025-03-01", [], (0.0, 0.0, "即将到期")),
    ("2025-02-28", [45], (-1.0, 0.0, "已过期")),
]


@pytest.mark.parametrize("expires, checkins, expected", GYM_CASES)
def test_gym_formulas_compute_days_to_expiry_attendance_and_status(
        engine, expires: str | None, checkins: list[int], expected: tuple[Any, ...]) -> None:
    import datetime as dt

    result = install(engine, GYM, "健身房")
    records = RecordService(engine)
    member = records.create(result.table_id("members"), {"姓名": "王"})["id"]
    if expires:
        records.create(result.table_id("memberships"), {"卡号": "C1", "会员": [member],
                                                         "到期日": "2024-01-01"})
        records.create(result.table_id("memberships"), {"卡号": "C2", "会员": [member],
                                                         "到期日": expires})
    for n, days in enumerate(checkins):
        day = dt.date(2025, 3, 1) - dt.timedelta(days=days)
        records.create(result.table_id("checkins"), {"签到编号": f"K{n}", "会员": [member],
                                                      "签到日期": day.isoformat()})
    got = records.get(result.table_id("members"), member)["fields"]
    assert (got["剩余天数"], got["近30天到店"], got["状态"]) == expected
    expiring = query_view(engine, result.ids.views["expiring"]).rows
    assert [r["id"] for r in expiring] == ([member] if expected[2] == "即将到期" else [])


def test_enabled_automation_fires_when_the_clock_reaches_the_window(
        engine, monkeypatch: pytest.MonkeyPatch) -> None:
    result = install(engine, GYM, "健身房")
    records = RecordService(engine)
    member = records.create(result.table_id("members"), {"姓名": "李"})["id"]
    records.create(result.table_id("memberships"), {"卡号": "C9", "会员": [member],
                                                     "到期日": "2025-03-12"})
    wf.Worker(engine, worker_id="t").run_once()
    assert _rows(engine, sa.select(wf.models.NOTIFICATIONS)) == []   # 11 days left: 有效
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-05")                # 7 days left: 即将到期
    wf.Worker(engine, worker_id="t").run_once()
    notices = [n.message for n in _rows(engine, sa.select(wf.models.NOTIFICATIONS))]
    assert notices == ["会员卡即将到期：李（剩余 7 天）"]


def _rows(engine: sa.Engine, stmt: Any) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(stmt).all()


@pytest.mark.parametrize("step", ["add_table", "add_field", "add_view", "add_dashboard",
                                  "add_automation", "sample", "snapshot"])
def test_install_is_all_or_nothing(engine, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    before = user_tables(engine)
    calls = {"n": 0}

    def fail(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        raise RuntimeError(f"injected failure in {step}")

    if step == "sample":
        _register_generator(monkeypatch, fail)
    elif step == "snapshot":
        monkeypatch.setattr(INSTALL_MODULE, "save_installed", fail)
    else:
        original = getattr(Builder, step)

        def fail_late(self: Builder, *args: Any, **kwargs: Any) -> Any:
            if calls["n"] >= 1:  # the second call fails: something is already written
                fail()
            calls["n"] += 1
            return original(self, *args, **kwargs)

        # tables and fields fail on their second call; later steps on their first (after
        # every table and field was created)
        monkeypatch.setattr(Builder, step, fail_late if step in ("add_table", "add_field") else fail)
    pack = GYM
    with pytest.raises(RuntimeError, match="injected failure"):
        install(engine, pack, "Half", sample=5)
    assert calls["n"] >= 1
    assert schema.list_bases(engine) == []
    assert user_tables(engine) == before
    for table in (INSTALLED_PACKS, DASHBOARDS, AUTOMATIONS, catalog.T, catalog.F, catalog.V):
        assert _rows(engine, sa.select(sa.func.count()).select_from(table))[0][0] == 0


def _register_generator(monkeypatch: pytest.MonkeyPatch, generator: Any) -> None:
    """A stand-in sample registry module, so these tests do not depend on the clinic data."""
    module = types.ModuleType("tessera.samples")

    def get_generator(name: str) -> Any:
        if name != "gym":
            raise LookupError(name)
        return generator

    module.get_generator = get_generator  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tessera.samples", module)
    monkeypatch.setattr(INSTALL_MODULE, "_sample_spec", lambda pack: {
        "generator": "gym", "default": 3, "options": {"club": "city"}})


def test_sample_data_is_loaded_in_the_install_transaction_before_automations_switch_on(
        engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def generate(bind: Any, result: Any, count: int, seed: int | None, options: Any) -> None:
        seen.update(count=count, seed=seed, options=dict(options),
                    in_transaction=isinstance(bind, sa.Connection) and bind.in_transaction())
        records = RecordService(bind)
        for n in range(count):
            member = records.create(result.table_id("members"), {"姓名": f"会员{n}"})["id"]
            records.create(result.table_id("memberships"), {"卡号": f"C{n}", "会员": [member],
                                                             "到期日": "2025-03-03"})

    _register_generator(monkeypatch, generate)
    result = install(engine, GYM, "健身房", sample=-1, seed=11, sample_options={"club": "mall"})
    assert seen == {"count": 3, "seed": 11, "options": {"club": "mall"}, "in_transaction": True}
    assert result.sample is not None and result.sample.loaded and result.sample.count == 3
    rows = query_records(engine, result.table_id("members")).rows
    assert [r["fields"]["状态"] for r in rows] == ["即将到期"] * 3
    # the expiry reminder was switched on after the sample: the samples only set baselines
    assert _rows(engine, sa.select(RUNS)) == []


@pytest.mark.parametrize("sample_data, registry, loaded, note", [
    (None, True, False, "declares no sample data"),
    ({"generator": "gym", "default": 0}, True, False, "No sample records were requested"),
    ({"generator": "gym"}, False, False, "sample-data registry (tessera.samples) is not available"),
    ({"generator": "nope"}, True, False, "no generator named 'nope'"),
])
def test_install_without_sample_data_says_why(engine, monkeypatch: pytest.MonkeyPatch,
                                              sample_data: Any, registry: bool, loaded: bool,
                                              note: str) -> None:
    if registry:
        _register_generator(monkeypatch, lambda *a: None)
    else:
        monkeypatch.setitem(sys.modules, "tessera.samples", None)
    monkeypatch.setattr(INSTALL_MODULE, "_sample_spec", lambda pack: sample_data)
    result = install(engine, GYM, "健身房", sample=-1 if sample_data and "default" in sample_data else 10)
    assert result.sample is not None
    assert (result.sample.loaded, result.sample.count) == (loaded, 0)
    assert note in result.sample.note_en and result.sample.note_zh
    assert schema.get_base(engine, result.base_id).name == "健身房"


def test_install_into_a_used_base_name_is_refused(engine) -> None:
    install(engine, GYM, "健身房")
    tables = user_tables(engine)
    with pytest.raises(PackError) as info:
        install(engine, load_pack(GYM), "健身房")
    assert info.value.code == "pack.base_exists" and "upgrade" in info.value.message_en
    assert user_tables(engine) == tables and len(schema.list_bases(engine)) == 1


def test_two_installs_of_the_same_pack_are_independent(engine) -> None:
    first = install(engine, SHOP_V1, "一店")
    second = install(engine, SHOP_V1, "二店")
    assert set(first.ids.tables.values()).isdisjoint(second.ids.tables.values())
    RecordService(engine).create(first.table_id("customers"), {"姓名": "甲", "累计消费": 60000})
    assert query_records(engine, second.table_id("customers")).rows == []
    rows = query_view(engine, first.ids.views["top"]).rows
    assert [r["fields"]["价值分级"] for r in rows] == ["S"]
