"""The clinic sample generator: deterministic by seed, the requested size, realistic shape,
and the same data on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from tessera.auth.users import list_users
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.packs.install import install
from tessera.query import query_records
from tessera.samples import UnknownGenerator, generator_names, get_generator
from tessera.samples.catalog import CALLERS, COMPLAINTS, CONSULTANTS
from tests.clinic_crm.conftest import PACK, TODAY

FIELDS = ("姓名", "手机", "来源渠道", "主诉需求", "满意度", "到院次数", "累计消费", "生命周期", "价值分级",
          "RFM分群", "会员等级", "下次召回日期", "储值余额")


def _customers(engine: Any, table_id: int) -> list[tuple[Any, ...]]:
    rows = query_records(engine, table_id, limit=5000).rows
    return sorted(tuple(r["fields"][f] for f in FIELDS) for r in rows)


@pytest.fixture
def engine(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TESSERA_TODAY", TODAY.isoformat())
    eng = create_engine(backend_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def test_same_seed_same_data(engine: Any) -> None:
    a = install(engine, PACK, "甲", sample=150, seed=11)
    b = install(engine, PACK, "乙", sample=150, seed=11)
    c = install(engine, PACK, "丙", sample=150, seed=12)
    d = install(engine, PACK, "丁", sample=150, seed=11, sample_options={"chunk": 7})
    rows_a = _customers(engine, a.table_id("customers"))
    assert rows_a == _customers(engine, b.table_id("customers"))
    assert rows_a != _customers(engine, c.table_id("customers"))
    assert rows_a == _customers(engine, d.table_id("customers"))   # written in small chunks
    assert len(rows_a) == 150


@pytest.mark.parametrize("specialty,service", [("dental", "洗牙"), ("aesthetics", "双眼皮"),
                                               ("tcm", "针灸")])
def test_shape_per_specialty(engine: Any, specialty: str, service: str) -> None:
    r = install(engine, PACK, "诊所", sample=200, seed=3, sample_options={"specialty": specialty})
    customers = query_records(engine, r.table_id("customers"), limit=1000).rows
    visits = query_records(engine, r.table_id("visits"), limit=5000, with_total=True)
    services = {s["fields"]["名称"]: s["fields"] for s in
                query_records(engine, r.table_id("services"), limit=100).rows}
    assert len(customers) == 200
    assert 0.6 * 700 <= visits.total <= 700                 # 3.5 visits per customer on average
    assert service in services and any(s["间隔天数"] for s in services.values())
    assert any(s["后续项目"] for s in services.values())
    names = [c["fields"]["姓名"] for c in customers]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)
    mobiles = [c["fields"]["手机"] for c in customers if c["fields"]["手机"]]
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
    stages = Counter(c["fields"]["生命周期"] for c in customers)
    assert {"潜客", "流失"} <= set(stages) and len(stages) >= 4
    assert Counter(c["fields"]["满意度"] for c in customers)["纠纷"] >= 1
    assert any(c["fields"]["介绍人"] for c in customers)
    tags = [c["fields"]["主诉需求"] for c in customers]           # a multi-select: label lists
    assert any(t is None for t in tags) and any(t and len(t) == 2 for t in tags)
    assert {x for t in tags if t for x in t} <= set(COMPLAINTS[specialty])
    dates = [v["fields"]["日期"] for v in visits.rows]
    assert min(dates) >= f"{TODAY.year - 3}" and max(dates) <= TODAY.isoformat()
    tiers = query_records(engine, r.table_id("tiers"), limit=10).rows
    assert [t["fields"]["名称"] for t in tiers] == ["普通", "白银", "黄金", "白金", "钻石"]
    staff = {u.id: u.username for u in list_users(engine)}
    owners = [staff[c["fields"]["负责咨询师"]] for c in sorted(customers, key=lambda c: c["id"])]
    assert owners[:8] == [*CONSULTANTS, *CONSULTANTS]          # round-robin over real users
    tasks = query_records(engine, r.table_id("tasks"), limit=1000).rows
    assert tasks and {staff[t["fields"]["负责人"]] for t in tasks} <= set(CALLERS)


def test_registry() -> None:
    assert "clinic" in generator_names()
    with pytest.raises(UnknownGenerator) as err:
        get_generator("gym")
    assert "gym" in err.value.message("en") and "gym" in err.value.message("zh-CN")


def test_bad_specialty(engine: Any) -> None:
    from tessera.errors import SchemaError

    with pytest.raises(SchemaError) as err:
        install(engine, PACK, "诊所", sample=10, sample_options={"specialty": "eye"})
    assert "dental" in err.value.message("en") and "口腔" in err.value.message("zh-CN")
