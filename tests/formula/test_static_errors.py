"""Static errors: syntax, unknown names with suggestions, arity, type mixes — positions and
messages in English and Chinese."""

from __future__ import annotations

import pytest

from tessera.formula import (
    FormulaError,
    FormulaReferenceError,
    FormulaSyntaxError,
    FormulaTypeError,
    evaluate,
    evaluate_sql,
)

VALUES = {"Total spend": 10, "Last visit": None, "Name": "x", "Visits.Amount": [1, 2]}

# (formula, exception class, code, (line, column), English fragment, Chinese fragment)
STATIC_ERRORS = [
    ("1+", FormulaSyntaxError, "syntax.unexpected_end", (1, 3), "ends too early", "公式不完整"),
    ("IF(1, 2", FormulaSyntaxError, "syntax.unexpected_end", (1, 8), 'expected a comparison or "," or ")"', "应为"),
    ('"abc', FormulaSyntaxError, "syntax.unclosed_text", (1, 1), "not closed", "引号"),
    ("{Name", FormulaSyntaxError, "syntax.unclosed_field", (1, 1), "closing }", "}"),
    ("1 ? 2", FormulaSyntaxError, "syntax.unexpected_character", (1, 3), 'Unexpected character "?"', "意外的字符"),
    ("1 2", FormulaSyntaxError, "syntax.unexpected_token", (1, 3), 'Unexpected "2"', "意外的"),
    ("(1+2))", FormulaSyntaxError, "syntax.unexpected_token", (1, 6), 'Unexpected ")"', "意外的"),
    ("1 +\n  * 2", FormulaSyntaxError, "syntax.unexpected_token", (2, 3), 'Unexpected "*"', "意外的"),
    ("total", FormulaSyntaxError, "syntax", (1, 1), "not a value", "不是值"),
    ("", FormulaSyntaxError, "syntax.empty", (1, 1), "empty", "为空"),
    ("<1", FormulaSyntaxError, "syntax", (1, 1), "at the start", "开头"),
    ("{Totl spend}*2", FormulaReferenceError, "reference.unknown_field", (1, 1),
     "Unknown field {Totl spend} — did you mean {Total spend}?", "是否想输入 {Total spend}"),
    ("1+{Nope}", FormulaReferenceError, "reference.unknown_field", (1, 3), "Unknown field {Nope}", "未知字段"),
    ("SUM({Visit}.{Amount})", FormulaReferenceError, "reference.unknown_link", (1, 5),
     "did you mean {Visits}?", "未知关联字段"),
    ("SUM({Visits}.{Amt})", FormulaReferenceError, "reference.unknown_field", (1, 5),
     "did you mean {Amount}?", "{Amount}"),
    ("{Visits}", FormulaReferenceError, "reference.link_needs_field", (1, 1), "is a link", "关联字段"),
    ("ALL({Totl spend})", FormulaReferenceError, "reference.unknown_field", (1, 1), "did you mean", "是否想输入"),
    ("SUMM(1, 2)", FormulaReferenceError, "reference.unknown_function", (1, 1),
     "Unknown function SUMM — did you mean SUM?", "未知函数 SUMM"),
    ("  IFF(1, 2, 3)", FormulaReferenceError, "reference.unknown_function", (1, 3), "did you mean IF?", "IF"),
    ("IF(1)", FormulaReferenceError, "reference.arity", (1, 1), "IF takes 2 to 3 arguments, but got 1", "需要 2 到 3 个参数"),
    ("NOT(1, 2)", FormulaReferenceError, "reference.arity", (1, 1), "NOT takes 1 argument, but got 2", "需要 1 个参数"),
    ("SUM()", FormulaReferenceError, "reference.arity", (1, 1), "at least 1", "至少 1"),
    ("TODAY(1)", FormulaReferenceError, "reference.arity", (1, 1), "TODAY takes 0", "需要 0"),
    ("IFS(TRUE, 1, FALSE)", FormulaReferenceError, "reference.arity", (1, 14), "pairs", "成对"),
    ("IF({Total spend}>1, TODAY(), 0)", FormulaTypeError, "type.mix", (1, 30), "mix dates and numbers", "混用了日期和数字"),
    ("IFERROR(TODAY(), 1)", FormulaTypeError, "type.mix", (1, 18), "mix dates and numbers", "日期"),
    ("IFS(TRUE, TODAY(), TRUE, TRUE)", FormulaTypeError, "type.mix", (1, 26), "mix dates and numbers", "日期"),
    ("{Visits}.{Amount}", FormulaTypeError, "type.list", (1, 1), "cannot result in a list", "不能是列表"),
    ("IF(TRUE, {Visits}.{Amount}, 1)", FormulaTypeError, "type.list", (1, 10), "list", "列表"),
]


@pytest.mark.parametrize("evaluator", ["python", "sql"])
@pytest.mark.parametrize(("formula", "cls", "code", "position", "en", "zh"), STATIC_ERRORS,
                         ids=[e[0] or "empty" for e in STATIC_ERRORS])
def test_static_error(formula, cls, code, position, en, zh, evaluator) -> None:
    run = evaluate if evaluator == "python" else evaluate_sql
    with pytest.raises(cls) as info:
        run(formula, VALUES)
    error = info.value
    assert isinstance(error, FormulaError)
    assert error.code == code
    assert error.position == position
    assert en in error.message_for("en")
    assert zh in error.message_for("zh-CN")
    assert f"{position[0]}:{position[1]}" in str(error)
    assert f"第 {position[0]} 行第 {position[1]} 列" in error.message_for("zh-CN")
    assert error.to_dict()["line"] == position[0]


def test_all_errors_collected_by_tooling() -> None:
    from tessera.formula.harness import build_dataset
    from tessera.formula.tooling import analyze

    schema = build_dataset([VALUES]).schema
    analysis = analyze("{Totl spend} + SUMM(1) + IF(1)", schema)
    assert [e.code for e in analysis.errors] == [
        "reference.unknown_field", "reference.unknown_function", "reference.arity",
    ]
