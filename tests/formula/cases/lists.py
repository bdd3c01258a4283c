"""List and column functions over {Link}.{Field} lists, ALL() columns, cells and values.
List order is the linked records' order (their ids)."""

import datetime as dt

from . import Case, E

D = dt.date
L = {"L.x": [3, 1, None, 4, 1, 5], "L.t": ["b", "A", "c", None, "a", "B"],
     "L.d": [D(2024, 1, 1), None, D(2024, 3, 1), D(2023, 1, 1), None, D(2025, 1, 1)]}
COL = [{"A": 10, "T": "x"}, {"A": 30, "T": "y"}, {"A": 20, "T": "X"}, {"A": None, "T": None}]

CASES = [
    # MEDIAN
    Case("MEDIAN({L}.{x})", 3.0, L, id="median-list"),
    Case("MEDIAN({L}.{x}, 10, 20)", 4.0, L, id="median-mixed"),
    Case("MEDIAN(1, 2, 3, 4)", 2.5, id="median-even"),
    Case("MEDIAN({L}.{t})", E("#NUM!"), L, id="median-text-list"),
    Case('MEDIAN("x", 1)', E("#VALUE!"), id="median-bad-literal"),
    Case("MEDIAN(ALL({A}))", [20.0] * 4, rows=COL, id="median-column"),
    Case("MEDIAN({L}.{d})", 45322.0, L, id="median-dates"),
    Case("MEDIAN(SUM({L}.{x}), 1)", 7.5, L, id="median-nested-aggregate"),
    # LARGE / SMALL
    Case("LARGE({L}.{x}, 2)", 4.0, L, id="large-2"),
    Case("LARGE({L}.{x}, 1)", 5.0, L, id="large-1"),
    Case("LARGE({L}.{x}, 6)", E("#NUM!"), L, id="large-too-far"),
    Case("LARGE({L}.{x}, 0)", E("#NUM!"), L, id="large-zero"),
    Case("LARGE(ALL({A}), 1)", [30.0] * 4, rows=COL, id="large-column"),
    Case("SMALL({L}.{x}, 1.5)", 1.0, L, id="small-k-rounded-up"),
    Case("SMALL({L}.{x}, 1)", 1.0, L, id="small-1"),
    Case("SMALL({L}.{x}, 5)", 5.0, L, id="small-last"),
    Case("SMALL({L}.{x}, 1/0)", E("#DIV/0!"), L, id="small-error-k"),
    Case("SMALL({L}.{x}, 1)", E("#NUM!"), {"L.x": []}, id="small-empty"),
    # PERCENTILE.INC / QUARTILE.INC
    Case("PERCENTILE.INC({L}.{x}, 0.3)", 1.4, L, id="percentile-interpolated"),
    Case("PERCENTILE.INC({L}.{x}, 0)", 1.0, L, id="percentile-0"),
    Case("PERCENTILE.INC({L}.{x}, 1)", 5.0, L, id="percentile-1"),
    Case("PERCENTILE.INC({L}.{x}, 1.5)", E("#NUM!"), L, id="percentile-k-too-big"),
    Case("PERCENTILE.INC({L}.{x}, 0.5)", E("#NUM!"), {"L.x": []}, id="percentile-empty"),
    Case("PERCENTILE.INC(ALL({A}), 0.25)", [15.0] * 4, rows=COL, id="percentile-column"),
    Case("QUARTILE.INC({L}.{x}, 1)", 1.0, L, id="quartile-1"),
    Case("QUARTILE.INC({L}.{x}, 2)", 3.0, L, id="quartile-median"),
    Case("QUARTILE.INC({L}.{x}, 3.7)", 4.0, L, id="quartile-floored"),
    Case("QUARTILE.INC({L}.{x}, 5)", E("#NUM!"), L, id="quartile-too-big"),
    Case("QUARTILE.INC({L}.{x}, -1)", E("#NUM!"), L, id="quartile-negative"),
    # RANK.EQ / RANK
    Case("RANK.EQ(4, {L}.{x})", 2.0, L, id="rank-desc"),
    Case("RANK.EQ(1, {L}.{x})", 4.0, L, id="rank-ties"),
    Case("RANK(1, {L}.{x}, 1)", 1.0, L, id="rank-asc-alias"),
    Case("RANK.EQ(2, {L}.{x})", E("#N/A"), L, id="rank-missing"),
    Case("RANK.EQ({A}, ALL({A}))", [3.0, 1.0, 2.0, E("#N/A")], rows=COL, id="rank-column"),
    Case("RANK.EQ({A}, ALL({A}), 1)", [1.0, 3.0, 2.0, E("#N/A")], rows=COL, id="rank-column-asc"),
    Case('RANK.EQ("x", {L}.{x})', E("#VALUE!"), L, id="rank-bad-number"),
    # PERCENTRANK.INC
    Case("PERCENTRANK.INC({L}.{x}, 4)", 0.75, L, id="percentrank-member"),
    Case("PERCENTRANK.INC({L}.{x}, 1)", 0.0, L, id="percentrank-min"),
    Case("PERCENTRANK.INC({L}.{x}, 2)", 0.375, L, id="percentrank-interpolated"),
    Case("PERCENTRANK.INC({L}.{x}, 6)", E("#N/A"), L, id="percentrank-outside"),
    Case("PERCENTRANK.INC({L}.{x}, 3.5)", 0.625, L, id="percentrank-between"),
    Case("PERCENTRANK.INC({L}.{x}, 2, 0)", E("#NUM!"), L, id="percentrank-bad-significance"),
    Case("PERCENTRANK.INC({L}.{x}, 1)", E("#NUM!"), {"L.x": []}, id="percentrank-empty"),
    Case("PERCENTRANK.INC({L}.{x}, 5)", 1.0, {"L.x": [5]}, id="percentrank-single"),
    Case("PERCENTRANK.INC(ALL({A}), {A})", [0.0, 1.0, 0.5, E("#N/A")], rows=COL, id="percentrank-column"),
    Case("PERCENTRANK.INC({L}.{x}, 2, 2)", 0.37, L, id="percentrank-truncated"),
    Case("PERCENTRANK.INC({L}.{x}, 2)", 0.333, {"L.x": [1, 2, 3, 4]}, id="percentrank-third"),
    # MATCH
    Case("MATCH(4, {L}.{x}, 0)", 4.0, L, id="match-exact"),
    Case('MATCH("a", {L}.{t}, 0)', 2.0, L, id="match-text-ci"),
    Case('MATCH("b*", {L}.{t}, 0)', 1.0, L, id="match-wildcard"),
    Case('MATCH("z", {L}.{t}, 0)', E("#N/A"), L, id="match-missing"),
    Case("MATCH(2.5, {S}.{x})", 2.0, {"S.x": [1, 2, 3]}, id="match-sorted-le"),
    Case("MATCH(2, {S}.{x}, -1)", 2.0, {"S.x": [3, 2, 1]}, id="match-desc"),
    Case("MATCH(0, {S}.{x})", E("#N/A"), {"S.x": [1, 2, 3]}, id="match-below"),
    Case('MATCH("1", {S}.{x}, 0)', E("#N/A"), {"S.x": [1, 2, 3]}, id="match-text-vs-number"),
    Case("MATCH({K}, {S}.{x}, 0)", E("#N/A"), {"K": None, "S.x": [1, 2]}, id="match-blank-lookup"),
    Case("MATCH(DATE(2024,3,1), {L}.{d}, 0)", 3.0, L, id="match-date"),
    Case("MATCH({A}, ALL({A}), 0)", [1.0, 2.0, 3.0, E("#N/A")], rows=COL, id="match-column"),
    # INDEX
    Case("INDEX({L}.{t}, 3)", "c", L, id="index-text"),
    Case("INDEX({L}.{t}, 4)", None, L, id="index-blank"),
    Case("INDEX({L}.{t}, 9)", E("#REF!"), L, id="index-beyond"),
    Case("INDEX({L}.{t}, 0)", E("#VALUE!"), L, id="index-zero"),
    Case("INDEX({L}.{t}, 1, 2)", E("#REF!"), L, id="index-column-2"),
    Case("INDEX({L}.{d}, 1)", D(2024, 1, 1), L, id="index-date"),
    Case("INDEX({L}.{x}, 2.9)", 1.0, L, id="index-truncated"),
    Case("INDEX(ALL({T}), 2)", ["y"] * 4, rows=COL, id="index-column"),
    # XLOOKUP
    Case('XLOOKUP("c", {L}.{t}, {L}.{d})', D(2024, 3, 1), L, id="xlookup-exact"),
    Case('XLOOKUP("a", {L}.{t}, {L}.{x}, 0, 0, -1)', 1.0, L, id="xlookup-last"),
    Case('XLOOKUP("B", {L}.{t}, {L}.{x})', 3.0, L, id="xlookup-first-ci"),
    Case('XLOOKUP(2, {L}.{x}, {L}.{t}, "none", 1)', "b", L, id="xlookup-next-larger"),
    Case('XLOOKUP(2, {L}.{x}, {L}.{t}, "none", -1)', "A", L, id="xlookup-next-smaller"),
    Case('XLOOKUP("zz", {L}.{t}, {L}.{x}, "none")', "none", L, id="xlookup-not-found-text"),
    Case('XLOOKUP("zz", {L}.{t}, {L}.{x})', E("#N/A"), L, id="xlookup-not-found"),
    Case('XLOOKUP("?", {L}.{t}, {L}.{x}, -1, 2)', 3.0, L, id="xlookup-wildcard"),
    Case('XLOOKUP("?", {L}.{t}, {L}.{x}, -1)', -1.0, L, id="xlookup-no-wildcard-in-exact"),
    Case('XLOOKUP("a", {L}.{t}, {L}.{x}, 0, 3)', E("#VALUE!"), L, id="xlookup-bad-mode"),
    Case('XLOOKUP("y", ALL({T}), ALL({A}))', [30.0] * 4, rows=COL, id="xlookup-columns"),
    # ARRAYJOIN
    Case("ARRAYJOIN({L}.{t})", "b, A, c, a, B", L, id="arrayjoin-default"),
    Case('ARRAYJOIN({L}.{x}, "-")', "3-1-4-1-5", L, id="arrayjoin-numbers"),
    Case("ARRAYJOIN({L}.{d}, \"; \")", "2024-01-01; 2024-03-01; 2023-01-01; 2025-01-01", L, id="arrayjoin-dates"),
    Case("ARRAYJOIN({L}.{x})", None, {"L.x": []}, id="arrayjoin-empty"),
    Case("ARRAYJOIN({L}.{x}, {Sep})", "3|1|4|1|5", {**L, "Sep": "|"}, id="arrayjoin-field-separator"),
    Case("ARRAYJOIN(ALL({T}), \"\")", ["xyX"] * 4, rows=COL, id="arrayjoin-column"),
    Case("ARRAYJOIN({L}.{b})", "TRUE, FALSE", {"L.b": [True, None, False]}, id="arrayjoin-booleans"),
    # COUNTUNIQUE
    Case("COUNTUNIQUE({L}.{t})", 3.0, L, id="countunique-ci"),
    Case('COUNTUNIQUE({L}.{x}, 3, "A")', 5.0, L, id="countunique-mixed"),
    Case("COUNTUNIQUE({L}.{x})", 0.0, {"L.x": []}, id="countunique-empty"),
    Case("COUNTUNIQUE(ALL({T}))", [2.0] * 4, rows=COL, id="countunique-column"),
    Case("COUNTUNIQUE({L}.{d})", 4.0, L, id="countunique-dates"),
    Case("COUNTUNIQUE(1/0, 1)", E("#DIV/0!"), id="countunique-error"),
    Case('COUNTUNIQUE(1, "1", TRUE)', 3.0, id="countunique-kinds"),
]
