"""Aggregates over a {Link}.{Field} list or an ALL() column at the ends of the double range:
#NUM! where the result is beyond it on every backend (PostgreSQL's sum() raises "value out of
range" and stops the statement; SQLite keeps inf). A range's sum adds its huge elements
(|x| >= 1e290) apart, scaled, so a total that comes back into range is a number
(functions/_sums.py); a chain of arguments still stops at the first overflowing step."""

from . import Case, E

MAX = 1.7976931348623157e308
TWO = {"L.x": [1e308, 1e308]}
BACK = {"L.x": [1e308, 1e308, -1e308]}

CASES = [
    # SUM and AVERAGE over a list
    Case("SUM({L}.{x})", E("#NUM!"), TWO, id="list-sum-overflow"),
    Case("SUM({L}.{x})", E("#NUM!"), {"L.x": [-MAX, -1e300]}, id="list-sum-negative-overflow"),
    Case("SUM({L}.{x})", 1e308, BACK, id="list-sum-back-in-range"),
    Case("SUM({L}.{x})", 5.0, {"L.x": [1e300, 5, -1e300]}, id="list-sum-huge-cancel"),
    Case("SUM({L}.{x})", 1e300 + 2.5, {"L.x": [1e300, 2.5]}, id="list-sum-huge-and-ordinary"),
    Case("SUM({L}.{x})", 0.0, {"L.x": [MAX, -MAX]}, id="list-sum-cancels"),
    Case("SUM({L}.{x})", 2e-320, {"L.x": [1e-320, 1e-320]}, id="list-sum-subnormal"),
    Case("AVERAGE({L}.{x})", E("#NUM!"), TWO, id="list-average-overflow"),
    Case("AVERAGE({L}.{x})", 1e308 / 3, BACK, id="list-average-back-in-range"),
    Case('IFERROR(SUM({L}.{x}),"too big")', "too big", TWO, id="list-sum-overflow-caught"),
    Case("SUM({L}.{x})*0", E("#NUM!"), TWO, id="list-sum-overflow-propagates"),
    # chains of arguments: each argument's sum, then + step by step
    Case("SUM({L}.{x},{L}.{x})", E("#NUM!"), {"L.x": [1e308]}, id="two-lists-overflow"),
    Case("SUM({L}.{x},{A})", E("#NUM!"), {"L.x": [1e308], "A": 1e308}, id="list-and-field-overflow"),
    Case("SUM({A},{L}.{x})", 1e308, {"L.x": [1e308, 1e308, -1e308], "A": 0}, id="field-and-list-in-range"),
    Case("AVERAGE({L}.{x},{A})", E("#NUM!"), {"L.x": [MAX], "A": MAX}, id="average-list-and-field-overflow"),
    # conditional sums
    Case('SUMIFS({L}.{x},{L}.{x},">0")', E("#NUM!"), BACK, id="sumifs-overflow"),
    Case('SUMIF({L}.{x},"<>0")', 1e308, BACK, id="sumif-back-in-range"),
    Case('SUMIF({L}.{x},">0")', E("#NUM!"), BACK, id="sumif-overflow"),
    Case('AVERAGEIFS({L}.{x},{L}.{x},">0")', E("#NUM!"), BACK, id="averageifs-overflow"),
    Case('AVERAGEIFS({L}.{x},{L}.{x},">=0")', 0.0, {"L.x": [5e-324, 0]}, id="averageifs-underflow"),
    Case('SUMIFS({L}.{x},{L}.{x},"<0")', 0.0, TWO, id="sumifs-none-selected"),
    # whole columns, and one statement over ordinary and huge rows
    Case("SUM(ALL({A}))", [E("#NUM!"), E("#NUM!")], rows=[{"A": 1e308}, {"A": 1e308}], id="column-sum-overflow"),
    Case("AVERAGE(ALL({A}))", [E("#NUM!"), E("#NUM!")], rows=[{"A": MAX}, {"A": MAX}], id="column-average-overflow"),
    Case('SUMIF(ALL({A}),">0")', [E("#NUM!"), E("#NUM!"), E("#NUM!")],
         rows=[{"A": 1e308}, {"A": -1e308}, {"A": 1e308}], id="column-sumif-overflow"),
    Case("SUM({L}.{x})", [3.0, E("#NUM!"), 1e308, 0.0],
         rows=[{"L.x": [1, 2]}, {"L.x": [MAX, MAX]}, {"L.x": [1e308, 1e308, -1e308]}, {"L.x": []}],
         id="list-sum-rows"),
    # percentiles and percent ranks interpolate with differences of the values
    Case("PERCENTILE.INC({L}.{x},0.5)", E("#NUM!"), {"L.x": [-1e308, 1e308]}, id="percentile-difference-overflow"),
    Case("PERCENTILE.INC({L}.{x},0)", -1e308, {"L.x": [-1e308, 1e308]}, id="percentile-at-a-value"),
    Case("PERCENTILE.INC({L}.{x},1)", 1e308, {"L.x": [-1e308, 1e308]}, id="percentile-at-last-value"),
    Case("PERCENTILE.INC({L}.{x},0.5)", 1e308, {"L.x": [1e308, 1e308]}, id="percentile-huge-equal"),
    Case("PERCENTILE.INC({L}.{x},1e308)", E("#NUM!"), {"L.x": [1, 2, 3]}, id="percentile-huge-k"),
    Case("QUARTILE.INC({L}.{x},2)", E("#NUM!"), {"L.x": [-MAX, MAX]}, id="quartile-difference-overflow"),
    Case("PERCENTRANK.INC({L}.{x},0)", 0.5, {"L.x": [-1e308, 1e308]}, id="percentrank-huge-neighbours"),
    Case("PERCENTRANK.INC({L}.{x},1e307)", 0.527, {"L.x": [-MAX, 0, MAX]}, id="percentrank-halved"),
    Case("PERCENTRANK.INC({L}.{x},1e-300)", 0.0, {"L.x": [0, 1e300]}, id="percentrank-underflow"),
]
