"""Clock and date functions; numbers as serials and text as dates where a date is expected."""

import datetime as dt

from . import Case, E

D = dt.date
T = dt.datetime

CASES = [
    Case("TODAY()", D(2026, 1, 31)),
    Case("NOW()", T(2026, 1, 31, 0, 0), id="now-midnight"),
    Case("NOW()", T(2026, 1, 31, 9, 30), today=T(2026, 1, 31, 9, 30), id="now-datetime-clock"),
    Case("TODAY()", D(2026, 1, 31), today=T(2026, 1, 31, 9, 30)),
    Case("TODAY()+1", D(2026, 2, 1)),
    Case("TODAY()-{Last}>180", False, {"Last": D(2025, 12, 1)}, id="lapsed-rule"),
    Case("TODAY()-{Last}>180", True, {"Last": D(2025, 6, 1)}),
    Case("YEAR(TODAY())", 2026.0),
    Case("MONTH(TODAY())", 1.0),
    Case("DAY(TODAY())", 31.0),
    Case("YEAR({D})", 2024.0, {"D": D(2024, 3, 5)}),
    Case("MONTH({D})", 3.0, {"D": T(2024, 3, 5, 23, 59)}),
    Case("DAY({D})", 5.0, {"D": D(2024, 3, 5)}),
    Case("YEAR(45000)", 2023.0, id="serial"),
    Case("MONTH(45000)", 3.0),
    Case("DAY(45000.9)", 15.0),
    Case("YEAR({Empty})", None, {"Empty": None}, id="blank-date-blank"),
    Case("YEAR(TRUE)", E("#VALUE!")),
    Case('YEAR("2024-01-05")', 2024.0, id="text-date"),
    Case('MONTH("2024/1/5")', 1.0),
    Case('DAY("2024年1月5日")', 5.0),
    Case('YEAR("abc")', E("#VALUE!")),
    Case("DATE(2024, 3, 5)", D(2024, 3, 5)),
    Case("DATE(2024, 13, 1)", D(2025, 1, 1), id="month-overflow"),
    Case("DATE(2024, 3, 0)", D(2024, 2, 29), id="day-zero"),
    Case("DATE(2024, 1, 1) - DATE(2023, 1, 1)", 365.0),
    Case("DATE(2024, 1, 1) + 45", D(2024, 2, 15)),
    Case("YEAR(DATE(2024, 1, 1))", 2024.0),
    Case("DATE(2024, 1, 1)&\"\"", "2024-01-01"),
    Case("MAX({A}, {B})", D(2024, 2, 1), {"A": D(2024, 1, 1), "B": D(2024, 2, 1)}),
    Case("IF({A}>{B}, {A}, {B})", D(2024, 2, 1), {"A": D(2024, 1, 1), "B": D(2024, 2, 1)}),
    Case("IF({A}, {D}, {T})", T(2024, 1, 1, 0, 0), {"A": True, "D": D(2024, 1, 1), "T": T(2024, 5, 1, 8)},
         id="date-datetime-branches"),
    Case('{D}&""', ["2024-01-01", None], rows=[{"D": D(2024, 1, 1)}, {"D": None}]),
    Case("DAY({D}+1)", 1.0, {"D": D(2024, 2, 29)}),
]
