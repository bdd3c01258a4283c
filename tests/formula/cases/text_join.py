"""TEXTJOIN (with ranges, ignore_empty both ways)."""

import datetime as dt

from . import Case, E

CASES = [
    Case('TEXTJOIN("-", TRUE, "a", "", "b")', "a-b"),
    Case('TEXTJOIN("-", FALSE, "a", "", "b")', "a--b"),
    Case('TEXTJOIN(", ", TRUE, {L}.{x}, "z")', "a, 3, z", {"L.x": ["a", None, 3]}),
    Case('TEXTJOIN(", ", FALSE, {L}.{x}, "z")', "a, , 3, z", {"L.x": ["a", None, 3]}),
    Case('TEXTJOIN("/", FALSE, "a", {L}.{x}, "b")', "a/b", {"L.x": []}, id="textjoin-empty-list"),
    Case('TEXTJOIN("/", FALSE, {L}.{x})', "/", {"L.x": [None, None]}, id="textjoin-only-blanks"),
    Case('TEXTJOIN("-", FALSE, 0, {L}.{x})', "0-1-", {"L.x": [1.0, None]}, id="textjoin-number-list-blank"),
    Case('TEXTJOIN("/", TRUE, {L}.{x})', None, {"L.x": [None, None]}),
    Case('TEXTJOIN("、", TRUE, {L}.{x})', "张三、李四", {"L.x": ["张三", "李四"]}),
    Case('TEXTJOIN(", ", TRUE, {L}.{d})', "2024-03-05, 2024-03-06",
         {"L.d": [dt.date(2024, 3, 5), dt.date(2024, 3, 6)]}, id="textjoin-dates"),
    Case('TEXTJOIN("", TRUE, 1.5, TRUE, {Empty})', "1.5TRUE", {"Empty": None}),
    Case('TEXTJOIN({Empty}, TRUE, "a", "b")', "ab", {"Empty": None}, id="textjoin-blank-delimiter"),
    Case('TEXTJOIN("-", {Empty}, "a", "", "b")', "a--b", {"Empty": None}, id="textjoin-blank-ignore"),
    Case('TEXTJOIN("-", "x", "a")', E("#VALUE!"), id="textjoin-bad-ignore"),
    Case('TEXTJOIN(1/0, TRUE, "a")', E("#DIV/0!")),
    Case('TEXTJOIN("-", TRUE, "a", NA())', E("#N/A")),
    Case('TEXTJOIN(" | ", TRUE, ALL({N}))', ["a | b", "a | b", "a | b"],
         rows=[{"N": "a"}, {"N": None}, {"N": "b"}], id="textjoin-column"),
    Case('TEXTJOIN(" | ", FALSE, ALL({N}))', ["a |  | b"] * 3,
         rows=[{"N": "a"}, {"N": None}, {"N": "b"}], id="textjoin-column-blanks"),
    Case('TEXTJOIN({S}, {I}, {A}, {B})', ["x-y", "xy", "x;"],
         rows=[{"S": "-", "I": True, "A": "x", "B": "y"}, {"S": None, "I": False, "A": "x", "B": "y"},
               {"S": ";", "I": False, "A": "x", "B": None}], id="textjoin-rows"),
    Case('TEXTJOIN(", ", TRUE, {L}.{x}, {L}.{x})', "1, 2, 1, 2", {"L.x": [1, 2]}, id="textjoin-two-ranges"),
    Case('LEN(TEXTJOIN("", TRUE, "你好", {L}.{x}))', 4.0, {"L.x": ["世界"]}),
]
