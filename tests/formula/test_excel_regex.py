"""Regex primitives: Python, SQLite and PostgreSQL agree on Python-syntax patterns."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.db import create_engine
from tessera.formula.excel import regex
from tessera.formula.pg_functions import install_pg_functions

ENGINES = ["python"] + [
    b.strip()
    for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def sql_engines(request: pytest.FixtureRequest) -> Iterator[dict[str, sa.Connection]]:
    connections: dict[str, sa.Connection] = {}
    engines: list[sa.Engine] = []
    if "sqlite" in ENGINES:
        engines.append(create_engine("sqlite://"))
        connections["sqlite"] = engines[-1].connect()
    if "postgresql" in ENGINES:
        engines.append(create_engine(request.getfixturevalue("pg_session_url")))
        with engines[-1].begin() as conn:
            install_pg_functions(conn)
        connections["postgresql"] = engines[-1].connect()
    yield connections
    for conn in connections.values():
        conn.close()
    for engine in engines:
        engine.dispose()


def run(engine: str, engines: dict, spec: tuple, args: tuple) -> Any:
    fn, sql = spec
    if engine == "python":
        return fn(*args)
    conn = engines[engine]
    placeholders = ", ".join(
        f"CAST(:a{i} AS text)" if conn.dialect.name == "postgresql" else f":a{i}"
        for i in range(len(args))
    )
    params = {f"a{i}": a for i, a in enumerate(args)}
    value = conn.execute(sa.text(f"SELECT {sql}({placeholders})"), params).scalar()
    if isinstance(value, int) and not isinstance(value, bool):  # SQLite stores booleans as 0/1
        value = bool(value)
    return value


MATCH = (regex.regexmatch, "tx_regexmatch")
EXTRACT = (regex.regexextract, "tx_regexextract")
REPLACE = (regex.regexreplace, "tx_regexreplace")
VALID = (regex.regex_valid, "tx_regex_valid")

CASES = [
    (MATCH, ("abc123", r"\d+"), True),
    (MATCH, ("abc", r"\d"), False),
    (MATCH, ("Hello", "hello"), False),
    (MATCH, ("Hello", "(?i)hello"), True),
    (MATCH, ("13812345678", r"^1[3-9]\d{9}$"), True),
    (MATCH, ("1381234567", r"^1[3-9]\d{9}$"), False),
    (MATCH, ("a@b.com", r"^[\w.+-]+@[\w-]+\.[\w.]+$"), True),
    (MATCH, ("line\n", r"line$"), True),
    (MATCH, ("a\nb", r"a.b"), False),
    (MATCH, ("cat dog", r"\bdog\b"), True),
    (MATCH, ("catdog", r"\bdog\b"), False),
    (MATCH, ("tab\there", r"\s"), True),
    (MATCH, ("中文", r"\w"), False),
    (MATCH, ("中文", "中"), True),
    (MATCH, ("price", r"(?=p)pr"), True),
    (MATCH, ("x", "("), None),
    (MATCH, ("x", "[a-"), None),
    (MATCH, ("x", r"[\D]"), None),
    (MATCH, ("x", r"a++"), None),
    (MATCH, ("x", r"(?s)."), None),
    (EXTRACT, ("Order #12345 shipped", r"\d+"), "12345"),
    (EXTRACT, ("Order #12345 shipped", r"#(\d+)"), "12345"),
    (EXTRACT, ("2024-03-05", r"(\d{4})-(\d{2})"), "2024"),
    (EXTRACT, ("<a><b>", r"<(.+?)>"), "a"),
    (EXTRACT, ("<a><b>", r"<(.+)>"), "a><b"),
    (EXTRACT, ("张三 13812345678", r"1\d{10}"), "13812345678"),
    (EXTRACT, ("name: Bob", r"name: (?P<who>\w+)"), "Bob"),
    (EXTRACT, ("b", r"(a)?b"), ""),
    (EXTRACT, ("abc", r"\d"), None),
    (EXTRACT, ("abc", r"(\d"), None),
    (EXTRACT, ("colour color", r"colou?r"), "colour"),
    (EXTRACT, ("x=1;y=22", r"y=(\d+)"), "22"),
    (REPLACE, ("a1b22c333", r"\d+", "#"), "a#b#c#"),
    (REPLACE, ("2024-03-05", r"(\d+)-(\d+)-(\d+)", "$3/$2/$1"), "05/03/2024"),
    (REPLACE, ("cost 5", r"\d", "$$$0"), "cost $5"),
    (REPLACE, ("a.b", r"\.", "\\"), "a\\b"),
    (REPLACE, ("ab", "(a)", "$2"), "b"),
    (REPLACE, ("  trim  me ", r"\s+", " "), " trim me "),
    (REPLACE, ("aaa", "a", "b"), "bbb"),
    (REPLACE, ("abc", "x", "y"), "abc"),
    (REPLACE, ("abc", "[", "y"), None),
    (VALID, (r"\d+",), True),
    (VALID, ("(",), False),
    (VALID, (r"(?P=x)",), False),
]


def case_id(case: tuple) -> str:
    (_fn, sql), args, _expected = case
    return f"{sql}({', '.join(map(repr, args))})"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(case: tuple, engine: str, sql_engines: dict) -> None:
    spec, args, expected = case
    got = run(engine, sql_engines, spec, args)
    assert got == expected and type(got) is type(expected), f"{engine}: {got!r}"


def assert_engines_agree(spec: tuple, args: tuple, sql_engines: dict) -> None:
    expected = run("python", sql_engines, spec, args)
    for engine in sql_engines:
        got = run(engine, sql_engines, spec, args)
        assert got == expected, f"{engine}: {spec[1]}{args!r} = {got!r}, python says {expected!r}"


# Patterns from the supported subset, without alternation and without empty matches (the
# documented differences), over a small alphabet so that matches actually happen.
atom = st.sampled_from(["a", "b", "1", r"\d", r"\w", r"\s", ".", "[ab]", "[^a]", r"\.", "-", " "])
quantified = st.tuples(atom, st.sampled_from(["", "", "+", "{2}", "{1,2}"])).map("".join)
groups = st.lists(quantified, min_size=1, max_size=3).map("".join)
pattern_st = st.tuples(
    st.sampled_from(["", "^"]),
    st.lists(st.one_of(quantified, groups.map(lambda g: f"({g})")), min_size=1, max_size=3),
    st.sampled_from(["", "$"]),
).map(lambda t: t[0] + "".join(t[1]) + t[2])
text_st = st.text(alphabet="ab1 2-.\n_中", max_size=12)
replacement_st = st.text(alphabet="x$12\\", max_size=5)


@SETTINGS
@given(text=text_st, pattern=pattern_st)
def test_match_agrees(text: str, pattern: str, sql_engines: dict) -> None:
    assert_engines_agree(MATCH, (text, pattern), sql_engines)


@SETTINGS
@given(text=text_st, pattern=pattern_st)
def test_extract_agrees(text: str, pattern: str, sql_engines: dict) -> None:
    assert_engines_agree(EXTRACT, (text, pattern), sql_engines)


@SETTINGS
@given(text=text_st, pattern=pattern_st, replacement=replacement_st)
def test_replace_agrees(text: str, pattern: str, replacement: str, sql_engines: dict) -> None:
    assert_engines_agree(REPLACE, (text, pattern, replacement), sql_engines)


@SETTINGS
@given(pattern=st.text(alphabet="ab()[]{}?*+\\dwD.^$-:=!<>P", max_size=8))
def test_validity_agrees(pattern: str, sql_engines: dict) -> None:
    assert_engines_agree(VALID, (pattern,), sql_engines)
