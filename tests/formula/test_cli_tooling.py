"""The CLI (tessera formula eval), editor tooling, and the engine clock."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tessera.cli import main
from tessera.formula import evaluate
from tessera.formula.harness import build_dataset
from tessera.formula.tooling import analyze, tokens

CLI_CASES = [
    (["SUM({A}, 2)", "--values", '{"A": 1}'], 0, 3),
    (['{A}&"x"', "--values", '{"A": 1.5}'], 0, "1.5x"),
    (["TODAY()+1", "--today", "2026-01-31"], 0, "2026-02-01"),
    (["1/0"], 0, "#DIV/0!"),
    (["{A}*2", "--rows", '[{"A": 1}, {"A": null}]'], 0, [2, 0]),
    (["{D}+1", "--values", '{"D": {"date": "2024-02-28"}}'], 0, "2024-02-29"),
]


@pytest.mark.parametrize(("args", "code", "expected"), CLI_CASES, ids=[c[0][0] for c in CLI_CASES])
@pytest.mark.parametrize("sql", [False, True])
def test_cli_eval(args, code, expected, sql, capsys) -> None:
    argv = ["formula", "eval", *args] + (["--sql", "sqlite://"] if sql else [])
    assert main(argv) == code
    assert json.loads(capsys.readouterr().out) == expected


def test_cli_eval_on_postgresql(pg_session_url, capsys) -> None:
    assert main(["formula", "eval", "ROUND(1.005, 2)", "--sql", pg_session_url]) == 0
    assert json.loads(capsys.readouterr().out) == 1.01


@pytest.mark.parametrize(("lang", "fragment"), [("en", "did you mean {Total}?"), ("zh-CN", "是否想输入 {Total}")])
def test_cli_static_error(lang, fragment, capsys) -> None:
    assert main(["formula", "eval", "{Totl}+1", "--values", '{"Total": 1}', "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "1" in err


def test_tokens_kinds_and_spans() -> None:
    toks = tokens('IF({A}>=1, "x", TRUE) & #N/A')
    assert [(t.kind, t.text) for t in toks] == [
        ("function", "IF"), ("punctuation", "("), ("field", "{A}"), ("operator", ">="),
        ("number", "1"), ("punctuation", ","), ("text", '"x"'), ("punctuation", ","),
        ("boolean", "TRUE"), ("punctuation", ")"), ("operator", "&"), ("error", "#N/A"),
    ]
    assert (toks[2].start, toks[2].end, toks[2].column) == (3, 6, 4)


def test_analyze_reports_fields_type_and_volatility() -> None:
    schema = build_dataset([{"A": 1, "D": dt.date(2024, 1, 1), "L.x": [1]}]).schema
    result = analyze("IF({A}>1, TODAY()-{D}, SUM({L}.{x}, ALL({A})))", schema)
    assert result.errors == []
    assert result.fields == ["A", "D", "L.x"]
    assert result.result_type == "number"
    assert result.volatile is True
    assert analyze("{D}+1", schema).result_type == "date"
    assert analyze("{D}+0.5", schema).result_type == "datetime"
    assert analyze('{A}&""', schema).to_dict()["result_type"] == "text"


def test_analyze_syntax_error_keeps_tokens() -> None:
    result = analyze("1 + (2")
    assert [e.code for e in result.errors] == ["syntax.unexpected_end"]
    assert [t.text for t in result.tokens] == ["1", "+", "(", "2"]


def test_clock_env_fixes_today_and_now(monkeypatch) -> None:
    monkeypatch.setenv("TESSERA_TODAY", "2025-06-30")
    assert evaluate("TODAY()") == dt.date(2025, 6, 30)
    assert evaluate("NOW()") == dt.datetime(2025, 6, 30)
    assert evaluate("TODAY()", today=dt.date(2020, 1, 1)) == dt.date(2020, 1, 1)
