"""Message templates: placeholder texts filled from a record (fields, formulas, literal
braces), validation at save time, languages, and the preview against real records."""

from __future__ import annotations

import datetime as dt

import pytest

import tessera.outreach as out
from tessera.outreach.errors import ConfigError, TemplateRenderError
from tessera.outreach.placeholders import fill, split

ENV = {"姓名": "王芳", "下次召回日期": dt.date(2025, 4, 3), "积分": 12800.0, "会员": True,
       "空": None}

FILL = [
    ("field", "{姓名}您好", "王芳您好"),
    ("formula", '{=TEXT({下次召回日期},"m月d日")}', "4月3日"),
    ("number", "积分 {积分}", "积分 12800"),
    ("date field", "{下次召回日期}", "2025-04-03"),
    ("boolean", "{会员}", "是"),
    ("blank", "[{空}]", "[]"),
    ("literal braces", "{{姓名}}", "{姓名}"),
    ("brace in a formula string", '{=IF({积分}>100,"}","x")}', "}"),
    ("doubled quote", '{="a""b"}', 'a"b'),
    ("arithmetic", "{={积分}/100}", "128"),
    ("no placeholder", "你好", "你好"),
]


@pytest.mark.parametrize("text,want", [c[1:] for c in FILL], ids=[c[0] for c in FILL])
def test_fill(text, want) -> None:
    assert fill(text, ENV, today=dt.date(2025, 3, 3)) == want


ERRORS = [("unknown field", "{年龄}"), ("unclosed", "{姓名"), ("formula error", "{=1/0}"),
          ("unknown function", "{=NOPE(1)}")]


@pytest.mark.parametrize("text", [c[1] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_fill_errors_name_the_placeholder(text) -> None:
    with pytest.raises(TemplateRenderError) as err:
        fill(text, ENV)
    assert "占位符" in err.value.message("zh") and "placeholder" in err.value.message("en")


def test_split_is_cached() -> None:
    assert split("{姓名}x") is split("{姓名}x")


BAD = [
    ("unknown field", {"zh": {"body": "{年龄}"}}, "zh"),
    ("bad formula", {"zh": {"body": "{=SUM(}"}}, "zh"),
    ("missing default language", {"en": {"body": "hi"}}, "zh"),
    ("empty body", {"zh": {"body": ""}}, "zh"),
    ("unknown field in params", {"zh": {"body": "x", "params": {"a": "{年龄}"}}}, "zh"),
]


@pytest.mark.parametrize("bodies,lang", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_templates_refused_at_save(clinic, bodies, lang) -> None:
    with pytest.raises((ConfigError, TemplateRenderError)):
        out.create_template(clinic.engine, base_id=clinic.base_id, table_id=clinic.customers.id,
                            name="t", bodies=bodies, default_language=lang)


def test_preview_against_records(clinic) -> None:
    a = clinic.add_customer("王芳", 下次召回日期="2025-04-03", 语言="en")
    b = clinic.add_customer("李雷", 下次召回日期="2025-12-25")
    tpl = out.create_template(clinic.engine, base_id=clinic.base_id,
                              table_id=clinic.customers.id, name="t", bodies={
                                  "zh": {"subject": "{姓名}的复诊提醒",
                                         "body": '{=TEXT({下次召回日期},"m月d日")}复诊'},
                                  "en": {"body": "see you {下次召回日期}"}})
    got = out.preview(clinic.engine, tpl["id"], [a, b])
    assert [(g["record_id"], g["language"], g["subject"], g["body"]) for g in got] == [
        (a, "zh", "王芳的复诊提醒", "4月3日复诊"), (b, "zh", "李雷的复诊提醒", "12月25日复诊")]
    assert out.preview(clinic.engine, tpl["id"], [a], language="en")[0]["body"] == "see you 2025-04-03"
    updated = out.update_template(clinic.engine, tpl["id"], bodies={"zh": {"body": "{姓名}"}})
    assert updated["bodies"] == {"zh": {"body": "{姓名}"}}
    assert out.preview(clinic.engine, tpl["id"], [b])[0]["body"] == "李雷"
