"""Edges the interpreter's generated source takes fast paths around: lazy branches, AND/OR
errors after a decisive argument, comparisons across kinds and with blanks, number overflow,
constant and clock subtrees, coercion of constant arguments."""

import datetime as dt

from . import Case, E

D = dt.date
T = dt.datetime

CASES = [
    # IF: only the chosen branch's error matters
    Case('IF({A}>1, 1/0, "ok")', "ok", {"A": 0}, id="if-error-in-untaken-then"),
    Case('IF({A}>1, "ok", 1/{A})', "ok", {"A": 5}, id="if-error-in-untaken-else"),
    Case('IF({A}>1, "ok", 1/{A})', E("#DIV/0!"), {"A": 0}, id="if-error-in-taken-else"),
    Case("IF({A}/0>1, 1, 2)", E("#DIV/0!"), {"A": 1}, id="if-condition-error"),
    Case('IF({T}, 1, 2)', E("#VALUE!"), {"T": "abc"}, id="if-text-field-condition"),
    Case("IF({A}, 1, 2)", 2.0, {"A": None}, id="if-blank-number-condition"),
    # AND / OR / XOR evaluate every argument: an error after a decisive one still wins
    Case("AND({A}>1, 1/0>1)", E("#DIV/0!"), {"A": 0}, id="and-error-after-false"),
    Case("AND({A}>1, {B}/0>1)", E("#DIV/0!"), {"A": 0, "B": 1}, id="and-field-error-after-false"),
    Case("OR({A}>1, {B}/0>1)", E("#DIV/0!"), {"A": 5, "B": 1}, id="or-error-after-true"),
    Case("AND({A}/0>1, #N/A)", E("#DIV/0!"), {"A": 1}, id="and-first-error-wins"),
    Case("XOR({A}>1, {B}<1, {A}=5)", True, {"A": 5, "B": 0}, id="xor-three"),
    Case("AND({A}>1, {B}<1)", [True, False, False], rows=[{"A": 5, "B": 0}, {"A": 0, "B": 0}, {"A": None, "B": None}],
         id="and-comparisons-rows"),
    # comparisons across kinds (numbers < text < booleans) and with blanks
    Case("{T}>{N}", True, {"T": "abc", "N": 5}, id="text-field-above-number-field"),
    Case("{T}={N}", False, {"T": "5", "N": 5}, id="numeric-text-not-number"),
    Case('{N}<"a"', True, {"N": 1e9}, id="number-below-text"),
    Case("{N}>=0", True, {"N": None}, id="blank-number-ge-0"),
    Case("{N}<{M}", False, {"N": None, "M": None}, id="blank-lt-blank"),
    Case("{N}={M}", True, {"N": None, "M": 0}, id="blank-eq-zero-field"),
    Case('{T}="ABC"', True, {"T": "abc"}, id="text-field-case-insensitive"),
    Case("{T}<{U}", [True, False, True], rows=[{"T": "a", "U": "B"}, {"T": "b", "U": "A"}, {"T": None, "U": "a"}],
         id="text-fields-rows"),
    Case("{D}>={D2}", [True, False, False],
         rows=[{"D": D(2024, 5, 1), "D2": D(2024, 5, 1)}, {"D": D(2024, 4, 30), "D2": D(2024, 5, 1)},
               {"D": None, "D2": D(2024, 5, 1)}], id="date-fields-rows"),
    Case("{D}>=DATE(2024,1,1)", False, {"D": None}, id="blank-date-vs-date"),
    Case("{D}<{N}", False, {"D": D(2024, 1, 1), "N": 45000}, id="date-vs-number-serial"),
    # arithmetic: division by zero #DIV/0!, blanks are 0 (overflow to #NUM!: test_generated_source.py,
    # SQLite gives inf there)
    Case("{A}/0.5", 4.0, {"A": 2}, id="divide-by-constant"),
    Case("{A}/2", 0.0, {"A": None}, id="blank-divided"),
    Case("{A}/{B}", E("#DIV/0!"), {"A": 1, "B": 0}, id="divide-by-zero-field"),
    Case("-{A}", E("#VALUE!"), {"A": "abc"}, id="negate-text"),
    Case("-{A}+1", -4.0, {"A": 5}, id="negate-number"),
    # text
    Case('{T}&"-"', "-", {"T": None}, id="blank-concat-text"),
    Case("{T}&{U}", None, {"T": None, "U": None}, id="blank-concat-blank"),
    Case('UPPER(LEFT({T},2))&"-"&ROUND({A}/3,0)', "AB-3", {"T": "abc", "A": 10}, id="text-chain"),
    # constant subtrees and constant arguments
    Case('IF({A}>0, LEFT("abc", 1+1), "n")', "ab", {"A": 1}, id="constant-call"),
    Case('{A}+1/0', E("#DIV/0!"), {"A": 1}, id="constant-error"),
    Case('LEFT({T}, "x")', E("#VALUE!"), {"T": "abc"}, id="constant-argument-coercion-error"),
    Case('LEFT({A}/0, "x")', E("#DIV/0!"), {"A": 1}, id="earlier-error-before-constant-error"),
    Case('LEFT({T}, "2")', "ab", {"T": "abc"}, id="constant-numeric-text-argument"),
    # the clock
    Case("DATE(YEAR(TODAY()),1,1)", D(2026, 1, 1), id="clock-subtree"),
    Case('IF({D}>=DATE(YEAR(TODAY()),1,1),"this year","before")', ["this year", "before", "before"],
         rows=[{"D": D(2026, 1, 5)}, {"D": D(2025, 12, 31)}, {"D": None}], id="clock-subtree-rows"),
    Case("DAYS(TODAY(),{D})", 30.0, {"D": D(2026, 1, 1)}, id="days-since"),
    Case("DAYS(TODAY(),{D})", None, {"D": None}, id="days-since-blank"),
    Case('IFERROR(1/{A}, "z")', "z", {"A": 0}, id="iferror-field"),
    Case("IFNA(1/{A}, 2)", E("#DIV/0!"), {"A": 0}, id="ifna-other-error"),
]
