"""Results beyond the double range: #NUM! on every backend (SQLite computes inf, PostgreSQL
raises "value out of range"), and products and quotients that round to 0 are 0 (PostgreSQL
raises "underflow" there). Operands beyond 1e30 or below 1e-30 take PostgreSQL's checked path,
so rows mixing ordinary and extreme values test both paths of one statement."""

from . import Case, E

BIG = {"A": 1e200, "B": 1e200, "C": 1e-200, "D": 1e308, "Z": 0, "N": 2}
TINY = {"A": 1e-200, "B": 1e-200, "S": 5e-324, "N": 2}

CASES = [
    # the binary operators
    Case("{A}*{B}", E("#NUM!"), BIG, id="multiply-overflow"),
    Case("{A}*-{B}", E("#NUM!"), BIG, id="multiply-negative-overflow"),
    Case("{A}/{C}", E("#NUM!"), BIG, id="divide-overflow"),
    Case("{D}+{D}", E("#NUM!"), BIG, id="add-overflow"),
    Case("-{D}-{D}", E("#NUM!"), BIG, id="subtract-overflow"),
    Case("{D}+{D}-{D}", E("#NUM!"), BIG, id="overflow-is-not-undone"),
    Case("{D}*{N}", E("#NUM!"), BIG, id="multiply-field-by-two-overflow"),
    Case("{D}*2", E("#NUM!"), BIG, id="multiply-by-constant-overflow"),
    Case("{D}*0.5*4", E("#NUM!"), BIG, id="constant-chain-overflow"),
    Case("{A}^2", E("#NUM!"), BIG, id="power-operator-overflow"),
    Case("{C}^-2", E("#NUM!"), BIG, id="power-negative-exponent-overflow"),
    Case("POWER({A},2)", E("#NUM!"), BIG, id="power-overflow"),
    Case("POWER(10,400)", E("#NUM!"), id="power-constant-overflow"),
    # results within range stay numbers, extreme operands or not
    Case("{A}*{C}", 1.0, BIG, id="big-times-small"),
    Case("{D}/{A}", 1e108, BIG, id="big-divided"),
    Case("{D}+{D}/2-{D}", 5e307, BIG, id="big-sum-in-range"),
    Case("{A}*{B}*{Z}", E("#NUM!"), BIG, id="overflow-then-zero"),
    Case("{Z}*{A}*{B}", 0.0, BIG, id="zero-first-no-overflow"),
    Case("POWER(10,308)", 1e308, id="power-largest-decade"),
    # underflow: 0 as in Python (PostgreSQL raises for products and quotients)
    Case("{A}*{B}", 0.0, TINY, id="multiply-underflow"),
    Case("{A}/1e200", 0.0, TINY, id="divide-underflow"),
    Case("{S}/2", 0.0, TINY, id="smallest-halved"),
    Case("{S}*{N}", 1e-323, TINY, id="smallest-doubled"),
    Case("{A}^2", 0.0, TINY, id="power-underflow"),
    Case("POWER(10,-400)", 0.0, id="power-constant-underflow"),
    Case("MOD({S},2)", 5e-324, TINY, id="mod-of-smallest"),
    Case("{S}%", 0.0, TINY, id="percent-underflow"),
    # the error is a value: it propagates and is caught like any other
    Case("{A}*{B}>0", E("#NUM!"), BIG, id="compare-overflow"),
    Case("1/({A}*{B})", E("#NUM!"), BIG, id="reciprocal-of-overflow"),
    Case('IFERROR({A}*{B},"too big")', "too big", BIG, id="iferror-overflow"),
    Case("ISERROR({A}*{B})", True, BIG, id="iserror-overflow"),
    Case("ROUND({A}*{B},2)", E("#NUM!"), BIG, id="round-of-overflow"),
    Case('{A}*{B}&""', E("#NUM!"), BIG, id="text-of-overflow"),
    Case("({A}*{B})+1/{Z}", E("#NUM!"), BIG, id="overflow-before-div0"),
    Case("1/{Z}+({A}*{B})", E("#DIV/0!"), BIG, id="div0-before-overflow"),
    Case("({A}*{B})*(1/{Z})", E("#NUM!"), BIG, id="nested-overflow-before-div0"),
    # aggregates
    Case("SUM({D},{D})", E("#NUM!"), BIG, id="sum-overflow"),
    Case("SUM({D},{D},-{D})", E("#NUM!"), BIG, id="sum-overflow-not-undone"),
    Case("SUM({A},{A})*1e108", E("#NUM!"), BIG, id="sum-times-constant-overflow"),
    Case("AVERAGE({D},{D})", E("#NUM!"), BIG, id="average-sum-overflow"),
    Case("AVERAGE({S},0)", 0.0, TINY, id="average-underflow"),
    Case("PRODUCT({A},{B})", E("#NUM!"), BIG, id="product-overflow"),
    Case("PRODUCT({A},{B},{C})", 1e200, BIG, id="product-in-range"),
    Case("PRODUCT({A},{B})", 0.0, TINY, id="product-underflow"),
    Case("MEDIAN({D},{D})", E("#NUM!"), BIG, id="median-middle-overflow"),
    Case("MOD({D},0.5)", E("#NUM!"), BIG, id="mod-quotient-overflow"),
    Case("ROUNDUP({A},-400)", E("#NUM!"), BIG, id="roundup-beyond-range"),
    # one statement, rows on both sides of the band
    Case("{A}*{B}", [2.0, E("#NUM!"), 0.0, 1e30, 0.0],
         rows=[{"A": 1, "B": 2}, {"A": 1e300, "B": 1e10}, {"A": 1e-300, "B": 1e-100},
               {"A": 1e40, "B": 1e-10}, {"A": None, "B": 1e300}], id="multiply-rows"),
    Case("({A}+{B})/{C}", [1.5, E("#NUM!"), E("#DIV/0!"), 2.0],
         rows=[{"A": 1, "B": 2, "C": 2}, {"A": 1e300, "B": 1e300, "C": 1e-300},
               {"A": 1, "B": 1, "C": 0}, {"A": 1e-300, "B": 1e-300, "C": 1e-300}],
         id="sum-divided-rows"),
]
