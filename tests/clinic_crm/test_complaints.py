"""主诉需求 is a multi-select of the spec's tags (CLINIC_CRM.md): formulas read it (the lead
class's ISBLANK, a user's COUNTA / COUNTIFS / text formula over the tags), and `pack upgrade`
from 1.1.0, where it was text, converts the typed tags into options (keeping tags the pack does
not list) unless the user edited the field, which is reported as a conflict."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.packs.install import install
from tessera.packs.upgrade import upgrade_pack
from tessera.records import RecordService
from tessera.samples.catalog import COMPLAINTS
from tests.clinic_crm.conftest import PACK, TODAY, Clinic

SPEC_TAGS = ["预防洗牙", "牙痛出血", "修复", "种植", "矫正", "儿童"]

TEXT_FIELD = """      - key: complaints
        name: 主诉需求
        type: text
        labels: {en: Chief complaints}
"""


def _field(engine: Any, table_id: int, name: str) -> Any:
    return schema.get_table(engine, table_id).field(name)


def test_complaints_are_tags_and_formulas_read_them(clinic: Clinic) -> None:
    customers = clinic.table("customers")
    field = _field(clinic.engine, customers, "主诉需求")
    labels = [c["label"] for c in field.options["choices"]]
    assert field.type == "multi_select"
    assert set(SPEC_TAGS) <= set(labels)                 # the spec's examples …
    for tags in COMPLAINTS.values():                     # … and every specialty's tags
        assert set(tags) <= set(labels)
    schema.add_field(clinic.engine, customers, "主诉个数", "formula",
                     {"formula": "COUNTA({主诉需求})"})
    schema.add_field(clinic.engine, customers, "种植意向", "formula",
                     {"formula": 'IF(COUNTIFS({主诉需求}, "种植") > 0, "种植客户", "其他")'})
    schema.add_field(clinic.engine, customers, "主诉文本", "formula",
                     {"formula": '{主诉需求} & ""'})
    two = clinic.customer(主诉需求=["种植", "修复"])
    typed = clinic.customer(主诉需求="预防洗牙、儿童")   # text input: split on 、
    none = clinic.customer()
    emptied = clinic.customer(主诉需求=["矫正"])
    clinic.update("customers", emptied, 主诉需求=[])
    got = {cid: clinic.get(cid) for cid in (two, typed, none, emptied)}
    assert got[two]["主诉需求"] == ["种植", "修复"]
    assert got[typed]["主诉需求"] == ["预防洗牙", "儿童"]
    assert [got[c]["主诉个数"] for c in (two, typed, none, emptied)] == [2, 2, 0, 0]
    assert [got[c]["种植意向"] for c in (two, typed, none)] == ["种植客户", "其他", "其他"]
    assert got[two]["主诉文本"] == "种植, 修复"
    # rule 3: a complaint (any tag) makes a contact with no spend M-D here, none M-E
    assert [got[c]["潜客分级"] for c in (two, typed, none, emptied)] == ["M-D", "M-D", "M-E", "M-E"]
    clinic.update("customers", none, 主诉需求=["牙痛出血"], 来源渠道="转介绍")
    assert clinic.get(none)["潜客分级"] == "M-A"


def _old_pack(tmp_path: Path) -> Path:
    """apps/clinic_crm as 1.1.0 shipped it: 主诉需求 a text field."""
    text = (PACK / "pack.yaml").read_text(encoding="utf-8")
    text, versions = re.subn(r"(?m)^version: .*$", "version: 1.1.0", text, count=1)
    text, fields = re.subn(r"(?s)      - key: complaints\n.*?(?=      - \{key: consultant)",
                           TEXT_FIELD, text)
    assert versions == fields == 1
    old = tmp_path / "clinic_crm_1_1"
    old.mkdir()
    (old / "pack.yaml").write_text(text, encoding="utf-8")
    return old


@pytest.fixture
def old_clinic(backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TESSERA_TODAY", TODAY.isoformat())
    engine = create_engine(backend_url)
    upgrade(engine)
    result = install(engine, _old_pack(tmp_path), "诊所")
    records = RecordService(engine)
    customers = result.table_id("customers")
    assert _field(engine, customers, "主诉需求").type == "text"
    ids = {text: records.create(customers, {"姓名": "客户", "手机": "13800000000",
                                            "主诉需求": text})["id"]
           for text in ("种植、修复", "预防洗牙", "牙齿敏感, 儿童", None)}
    yield engine, result, records, customers, ids
    engine.dispose()


def test_upgrade_converts_text_complaints_to_tags(old_clinic: Any) -> None:
    engine, result, records, customers, ids = old_clinic
    report = upgrade_pack(engine, PACK, result.base_id)
    assert ("customers.complaints", "update") in [(i.key, i.action) for i in report.items]
    assert report.conflicts == [] and report.to_version != "1.1.0"
    field = _field(engine, customers, "主诉需求")
    assert field.type == "multi_select"
    labels = [c["label"] for c in field.options["choices"]]
    assert labels[:len(SPEC_TAGS)] == SPEC_TAGS
    assert "牙齿敏感" in labels                    # a tag users typed is kept as an option
    got = {text: records.get(customers, rid)["fields"] for text, rid in ids.items()}
    assert got["种植、修复"]["主诉需求"] == ["种植", "修复"]
    assert got["预防洗牙"]["主诉需求"] == ["预防洗牙"]
    assert got["牙齿敏感, 儿童"]["主诉需求"] == ["牙齿敏感", "儿童"]
    assert got[None]["主诉需求"] is None
    assert schema.list_conversion_rejects(engine, field.id) == []
    assert [got[t]["潜客分级"] for t in ids] == ["M-D", "M-D", "M-D", "M-E"]
    again = upgrade_pack(engine, PACK, result.base_id, dry_run=True)
    assert again.items == []                        # nothing left to apply


def test_upgrade_reports_a_conflict_when_the_user_edited_the_field(old_clinic: Any) -> None:
    engine, result, records, customers, ids = old_clinic
    schema.rename_field(engine, _field(engine, customers, "主诉需求").id, "需求标签")
    report = upgrade_pack(engine, PACK, result.base_id)
    assert [(i.key, i.action) for i in report.conflicts] == [("customers.complaints", "conflict")]
    assert "CONFLICT" in report.render()
    field = _field(engine, customers, "需求标签")
    assert field.type == "text"                      # kept as the user has it, values too
    got = records.get(customers, ids["种植、修复"])["fields"]
    assert got["需求标签"] == "种植、修复" and got["潜客分级"] == "M-D"
    assert records.get(customers, ids[None])["fields"]["潜客分级"] == "M-E"
