"""Criteria aggregates: COUNTIFS, COUNTIF, SUMIFS, SUMIF, AVERAGEIFS, MAXIFS, MINIFS over lists,
columns and cells; constant criteria (plain SQL predicates) and per-row criteria (tx_crit_*)."""

import datetime as dt

from . import Case, E

D, T = dt.date, dt.datetime
VISITS = {"V.d": [D(2025, 1, 30), D(2025, 1, 31), D(2025, 6, 1), D(2026, 1, 31), D(2026, 2, 1), None],
          "V.a": [100, 200, None, 300, 50, 10], "V.t": ["Cash", "card", "CASH", None, "cheque", "c*"]}
CLINIC = 'COUNTIFS({V}.{d}, ">="&(TODAY()-365), {V}.{d}, "<="&TODAY())'

CASES = [
    # COUNTIFS
    Case(CLINIC, 3.0, VISITS, id="countifs-clinic-window"),
    Case('COUNTIFS({V}.{d}, ">="&{Since})', 3.0, {**VISITS, "Since": D(2025, 6, 1)}, id="countifs-row-criterion"),
    Case('COUNTIFS({V}.{a}, ">=100", {V}.{t}, "c*")', 2.0, VISITS, id="countifs-two-criteria"),
    Case('COUNTIFS({V}.{a}, "")', 1.0, VISITS, id="countifs-blank"),
    Case('COUNTIFS({V}.{a}, "<>")', 5.0, VISITS, id="countifs-nonblank"),
    Case('COUNTIFS({V}.{a}, 1/0)', E("#DIV/0!"), VISITS, id="countifs-error-criterion"),
    Case('COUNTIFS({V}.{a}, ">0")', 0.0, {"V.a": []}, id="countifs-empty-list"),
    Case('COUNTIFS(ALL({A}), ">1")', [2.0, 2.0, 2.0], rows=[{"A": 1}, {"A": 2}, {"A": 3}], id="countifs-column"),
    Case('COUNTIFS({V}.{d}, ">2025-06-01")', 2.0, VISITS, id="countifs-date-text"),
    Case('COUNTIFS({V}.{d}, 45838)', 0.0, VISITS, id="countifs-date-serial-eq"),
    Case('COUNTIFS({V}.{d}, DATE(2025,6,1))', 1.0, VISITS, id="countifs-date-eq"),
    Case('COUNTIFS({V}.{d}, "<>"&DATE(2025,6,1))', 5.0, VISITS, id="countifs-date-ne"),
    # COUNTIF
    Case('COUNTIF({V}.{t}, "cash")', 2.0, VISITS, id="countif-case-insensitive"),
    Case('COUNTIF({V}.{t}, "c?sh")', 2.0, VISITS, id="countif-wildcard"),
    Case('COUNTIF({V}.{t}, "c~*")', 1.0, VISITS, id="countif-escaped-star"),
    Case('COUNTIF({V}.{t}, {K})', 2.0, {**VISITS, "K": "CASH"}, id="countif-field-criterion"),
    Case('COUNTIF({V}.{t}, ">c")', 5.0, VISITS, id="countif-text-order"),
    Case('COUNTIF({V}.{a}, 100)', 1.0, VISITS, id="countif-number"),
    Case('COUNTIF({V}.{a}, "100")', 1.0, VISITS, id="countif-number-text"),
    Case('COUNTIF({V}.{a}, "x")', 0.0, VISITS, id="countif-text-vs-numbers"),
    Case('COUNTIF({V}.{a}, "<>x")', 6.0, VISITS, id="countif-ne-text-vs-numbers"),
    Case('COUNTIF({V}.{b}, TRUE)', 2.0, {"V.b": [True, False, True, None]}, id="countif-bool"),
    Case('COUNTIF({V}.{b}, "<>TRUE")', 2.0, {"V.b": [True, False, True, None]}, id="countif-bool-ne"),
    Case('COUNTIF({V}.{s}, ">=2025-01-01 12:00")', 2.0,
         {"V.s": [T(2025, 1, 1, 11, 59, 59), T(2025, 1, 1, 12), T(2025, 1, 2)]}, id="countif-datetime"),
    Case('COUNTIF({V}.{s}, "2025-01-01 12:00")', 1.0,
         {"V.s": [T(2025, 1, 1, 11, 59, 59), T(2025, 1, 1, 12), T(2025, 1, 2)]}, id="countif-datetime-eq"),
    Case('COUNTIF({A}, ">1")', 1.0, {"A": 2}, id="countif-cell"),
    Case('COUNTIF({A}, "")', 1.0, {"A": None, "B": 1}, id="countif-blank-cell"),
    Case('COUNTIF(ALL({T}), "a*")', [2.0, 2.0, 2.0], rows=[{"T": "ab"}, {"T": "B"}, {"T": "A"}], id="countif-column-text"),
    Case('COUNTIF({V}.{a}, {Op}&{N})', [3.0, 2.0], rows=[{**VISITS, "Op": ">", "N": 60}, {**VISITS, "Op": "<", "N": 60}],
         id="countif-row-operator"),
    # SUMIFS / SUMIF
    Case('SUMIFS({V}.{a}, {V}.{t}, "c*")', 360.0, VISITS, id="sumifs-wildcard"),
    Case('SUMIFS({V}.{a}, {V}.{d}, ">="&(TODAY()-365), {V}.{t}, "<>cheque")', 500.0, VISITS, id="sumifs-clinic"),
    Case('SUMIFS({V}.{a}, {V}.{t}, "none")', 0.0, VISITS, id="sumifs-none"),
    Case('SUMIFS({V}.{t}, {V}.{a}, ">0")', 0.0, VISITS, id="sumifs-text-sum-range"),
    Case('SUMIFS({V}.{a}, {V}.{a}, ">"&{Min})', [600.0, 300.0], rows=[{**VISITS, "Min": 60}, {**VISITS, "Min": 200}],
         id="sumifs-per-row"),
    Case('SUMIF({V}.{a}, ">100")', 500.0, VISITS, id="sumif-own-range"),
    Case('SUMIF({V}.{t}, "cash", {V}.{a})', 100.0, VISITS, id="sumif-sum-range"),
    Case('SUMIF(ALL({A}), "<3", ALL({B}))', [30.0, 30.0, 30.0],
         rows=[{"A": 1, "B": 10}, {"A": 2, "B": 20}, {"A": 3, "B": 30}], id="sumif-columns"),
    Case('SUMIF({V}.{a}, "x")', 0.0, VISITS, id="sumif-no-match"),
    Case('SUMIF({V}.{d}, ">2026-01-01")', 92107.0, VISITS, id="sumif-dates-serials"),
    # AVERAGEIFS
    Case('AVERAGEIFS({V}.{a}, {V}.{t}, "c*")', 90.0, VISITS, id="averageifs"),
    Case('AVERAGEIFS({V}.{a}, {V}.{t}, "zzz")', E("#DIV/0!"), VISITS, id="averageifs-none"),
    Case('AVERAGEIFS({V}.{a}, {V}.{a}, "<>")', 132.0, VISITS, id="averageifs-nonblank"),
    Case('AVERAGEIFS({V}.{t}, {V}.{a}, ">0")', E("#DIV/0!"), VISITS, id="averageifs-text"),
    Case('AVERAGEIFS({V}.{a}, {V}.{d}, "<"&TODAY())', 150.0, VISITS, id="averageifs-dates"),
    # MAXIFS / MINIFS
    Case('MAXIFS({V}.{d}, {V}.{a}, ">0")', D(2026, 2, 1), VISITS, id="maxifs-date"),
    Case('MINIFS({V}.{d}, {V}.{a}, ">0")', D(2025, 1, 30), VISITS, id="minifs-date"),
    Case('MAXIFS({V}.{d}, {V}.{a}, ">1000")', None, VISITS, id="maxifs-date-none"),
    Case('MAXIFS({V}.{a}, {V}.{t}, "c*")', 200.0, VISITS, id="maxifs-number"),
    Case('MINIFS({V}.{a}, {V}.{t}, "c*")', 10.0, VISITS, id="minifs-number"),
    Case('MINIFS({V}.{a}, {V}.{t}, "zzz")', 0.0, VISITS, id="minifs-none"),
    Case('MAXIFS({V}.{a}, {V}.{t}, 1/0)', E("#DIV/0!"), VISITS, id="maxifs-error"),
    Case('MAXIFS(ALL({A}), ALL({T}), "x")', [5.0, 5.0, 5.0], rows=[{"A": 1, "T": "x"}, {"A": 5, "T": "X"}, {"A": 9, "T": "y"}],
         id="maxifs-columns"),
]
