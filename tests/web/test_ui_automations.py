"""The visual automation editor's server side: every built-in trigger and action declares its
parameters for the generated forms (widget and both labels), the page hands them over in the
user's language with the tables' fields, and an unsaved automation dry-runs through the API
with the same checks as saving (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from tessera.web.automations_page import option_params, supports_run_as
from tessera.workflow import ACTIONS, TRIGGERS
from tessera.workflow.registry import WIDGETS, param

BUILT_IN = ("tessera.workflow.actions", "tessera.workflow.effects", "tessera.workflow.triggers")


def _built_in(specs: dict[str, Any], attr: str) -> list[Any]:
    return [s for s in specs.values()
            if getattr(s, attr) is not None and getattr(s, attr).__module__ in BUILT_IN]


@pytest.mark.parametrize("spec", _built_in(ACTIONS, "run") + _built_in(TRIGGERS, "on_change")
                         + [TRIGGERS[n] for n in ("date_relative", "schedule", "manual")],
                         ids=lambda s: s.name)
def test_every_built_in_parameter_declares_its_form(spec: Any) -> None:
    for name, prop in spec.options_schema.get("properties", {}).items():
        assert prop.get("widget") in WIDGETS, f"{spec.name}.{name} has no editor widget"
        assert prop.get("label_en") and prop.get("label_zh"), f"{spec.name}.{name} has no labels"
        assert "type" in prop, f"{spec.name}.{name} has no JSON type"
        if prop["widget"] == "enum":
            assert prop["enum"], f"{spec.name}.{name} is an enum without choices"


def test_param_refuses_an_unknown_widget() -> None:
    with pytest.raises(ValueError, match="slider"):
        param("number", "slider", "Level", "级别")


def test_option_params_in_both_languages() -> None:
    schema = ACTIONS["assign"].options_schema
    en = {p["name"]: p for p in option_params(schema, "en")}
    zh = {p["name"]: p for p in option_params(schema, "zh")}
    assert list(en) == list(schema["properties"])
    assert en["field"]["required"] and not en["mode"]["required"]
    assert (en["field"]["label"], zh["field"]["label"]) == ("Assignee field", "负责人字段")
    assert en["mode"]["choices"] == [{"value": "round_robin", "label": "Round robin"},
                                     {"value": "least_open", "label": "Least open work"}]
    assert [c["label"] for c in zh["mode"]["choices"]] == ["轮流", "待办最少"]
    # a plugin's option without metadata is still listed, labelled by its name
    bare = option_params({"properties": {"level": {"type": "integer"}}}, "zh")
    assert bare == [{"name": "level", "type": "integer", "widget": None, "label": "level",
                     "required": False, "help": ""}]


def _config(page: str) -> dict[str, Any]:
    raw = re.search(r'id="automations"[^>]*data-config="([^"]*)"', page).group(1)
    return json.loads(html.unescape(raw))


@pytest.fixture
def base(client: Any) -> dict[str, Any]:
    base = client.post("/api/v1/bases", json={"name": "Auto"}).json()
    leads = client.post(f"/api/v1/bases/{base['id']}/tables", json={
        "name": "Leads", "fields": [{"name": "Stage", "type": "text"},
                                    {"name": "Score", "type": "number"},
                                    {"name": "Due", "type": "date"}]}).json()
    notes = client.post(f"/api/v1/bases/{base['id']}/tables", json={
        "name": "Notes", "fields": [{"name": "Lead", "type": "link",
                                     "options": {"target_table_id": leads["id"]}}]}).json()
    return {**base, "leads": leads, "notes": notes}


def test_page_config_lists_tables_fields_and_forms(client: Any, base: dict[str, Any]) -> None:
    response = client.get(f"/bases/{base['id']}/automations",
                          headers={"accept-language": "zh-CN"})
    assert response.status_code == 200
    config = _config(response.text)
    assert config["runAs"] is supports_run_as()
    leads = next(t for t in config["tables"] if t["id"] == base["leads"]["id"])
    assert leads["primary"] == "Name"
    assert {f["name"]: f["type"] for f in leads["fields"]} == \
        {"Name": "text", "Stage": "text", "Score": "number", "Due": "date"}
    notes = next(t for t in config["tables"] if t["id"] == base["notes"]["id"])
    link = next(f for f in notes["fields"] if f["name"] == "Lead")
    assert link["target"] == base["leads"]["id"] and link["computed"] is False
    update = next(a for a in config["actions"] if a["name"] == "update_record")
    assert update["label"] == "更新记录"
    assert [(p["name"], p["widget"]) for p in update["params"]] == \
        [("values", "values"), ("link", "link_field")]
    date = next(t for t in config["triggers"] if t["name"] == "date_relative")
    assert date["params"][0]["widget"] == "date_field" and date["params"][0]["required"]


def _draft(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"table_id": base["leads"]["id"],
            "trigger": {"type": "record_updated", "options": {"fields": ["Stage"]}},
            "condition": "{Score} > 5",
            "actions": [{"type": "update_record", "options": {"values": {"Stage": "hot"}}},
                        {"type": "notify", "options": {"users": ["admin"],
                                                       "message": '={Name} & " scored " & {Score}'}}],
            **changes}


def test_draft_dry_run_checks_and_writes_nothing(client: Any, base: dict[str, Any]) -> None:
    tid = base["leads"]["id"]
    hot = client.post(f"/api/v1/tables/{tid}/records",
                      json={"fields": {"Name": "Ms. Wu", "Score": 8}}).json()
    cold = client.post(f"/api/v1/tables/{tid}/records",
                       json={"fields": {"Name": "Mr. Li", "Score": 2}}).json()
    url = f"/api/v1/bases/{base['id']}/automations/dry-run"
    result = client.post(url, json={**_draft(base), "record_id": hot["id"]})
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["condition_passed"] is True and body["error"] is None
    assert [s["action"] for s in body["steps"]] == ["update_record", "notify"]
    assert body["steps"][1]["options"]["message"] == "Ms. Wu scored 8"
    assert client.post(url, json={**_draft(base), "record_id": cold["id"]}).json() \
        ["condition_passed"] is False
    # nothing saved, nothing written
    assert client.get(f"/api/v1/bases/{base['id']}/automations").json() == []
    assert client.get(f"/api/v1/tables/{tid}/records/{hot['id']}").json()["fields"]["Stage"] \
        in (None, "")
    # the same checks as saving: a missing required option and a bad condition are 400s
    missing = client.post(url, json=_draft(base, actions=[{"type": "notify",
                                                           "options": {"users": ["a"]}}]))
    assert missing.status_code == 400 and "message" in missing.json()["error"]["message"]
    bad = client.post(url, json=_draft(base, condition="{Scor} > 5"))
    assert bad.status_code == 400 and "Scor" in bad.json()["error"]["message"]
