"""Registry-wide checks: every function is complete, documented in both languages and covered
by conformance cases; FORMULA.md's first-wave functions are all present."""

from __future__ import annotations

import re

import pytest

from tessera.formula.registry import PARAM_NAMES_ZH, REGISTRY, all_functions, lookup

from .cases import all_cases

FIRST_WAVE = """IF IFS SWITCH AND OR NOT XOR IFERROR IFNA ISBLANK ISNUMBER ISTEXT ISLOGICAL ISERROR
ISNA NA TRUE FALSE BLANK SUM PRODUCT MIN MAX AVERAGE COUNT COUNTA COUNTBLANK ABS SIGN ROUND INT
MOD POWER SQRT CONCAT CONCATENATE LEN LOWER UPPER LEFT RIGHT TODAY NOW DATE YEAR MONTH DAY
VALUE""".split()
MIN_CASES_PER_FUNCTION = 2


def _case_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, case in all_cases():
        for name in set(re.findall(r"([A-Za-z][A-Za-z0-9_.]*)\s*\(", case.formula)):
            counts[name.upper()] = counts.get(name.upper(), 0) + 1
    return counts


def test_first_wave_present() -> None:
    missing = [name for name in FIRST_WAVE if lookup(name) is None]
    assert missing == []


@pytest.mark.parametrize("spec", all_functions(), ids=lambda s: s.name)
def test_function_is_complete(spec) -> None:
    assert spec.is_eager or (spec.build_python is not None and spec.build_sql is not None)
    assert spec.description_en.strip() and spec.description_zh.strip()
    assert re.search(r"[\u4e00-\u9fff]", spec.description_zh), "Chinese description expected"
    assert spec.signature.startswith(spec.name + "(")
    assert all(p.name in PARAM_NAMES_ZH for p in spec.params), "add the Chinese parameter name"
    assert spec.signature_for("zh-CN").startswith(spec.name + "(")
    assert spec.description_for("zh-CN") == spec.description_zh
    assert spec.category in {"logic", "math", "text", "date", "lists"}
    for name in (spec.name, *spec.aliases):
        assert REGISTRY[name.upper()] is spec


@pytest.mark.parametrize("spec", all_functions(), ids=lambda s: s.name)
def test_function_has_conformance_cases(spec) -> None:
    counts = _case_counts()
    assert counts.get(spec.name, 0) >= MIN_CASES_PER_FUNCTION, f"add cases for {spec.name} in tests/formula/cases/"


def test_signatures_read_well() -> None:
    assert lookup("LEFT").signature == "LEFT(text, [count])"
    assert lookup("LEFT").signature_for("zh-CN") == "LEFT(文本, [字符数])"
    assert lookup("SUM").signature == "SUM(value, ...)"
    assert lookup("IF").signature == "IF(condition, value_if_true, [value_if_false])"
