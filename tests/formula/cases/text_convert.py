"""TEXT(value, format): number, date, datetime, text and boolean values; every format family."""

import datetime as dt

from . import Case, E

D = dt.date(2024, 3, 5)  # a Tuesday
TS = dt.datetime(2024, 3, 5, 14, 30, 9)

CASES = [
    Case('TEXT(1234.5, "#,##0.00")', "1,234.50"),
    Case('TEXT(1234.567, "0.00")', "1234.57"),
    Case('TEXT(1.005, "0.00")', "1.01", id="text-half-away"),
    Case('TEXT(-2.5, "0")', "-3"),
    Case('TEXT(0.256, "0%")', "26%"),
    Case('TEXT(1234567, "#,##0")', "1,234,567"),
    Case('TEXT(-5, "0;(0)")', "(5)", id="text-negative-section"),
    Case("TEXT(0, \"0;-0;\"\"zero\"\"\")", "zero", id="text-zero-section"),
    Case('TEXT(12345, "0.00E+00")', "1.23E+04"),
    Case('TEXT(7, "000")', "007"),
    Case('TEXT({D}, "yyyy-mm-dd")', "2024-03-05", {"D": D}),
    Case('TEXT({D}, "yyyy年m月d日")', "2024年3月5日", {"D": D}),
    Case('TEXT({D}, "dddd, mmm d")', "Tuesday, Mar 5", {"D": D}),
    Case('TEXT({D}, "aaaa")', "星期二", {"D": D}),
    Case('TEXT({D}, "aaa")', "二", {"D": D}),
    Case('TEXT({T}, "hh:mm")', "14:30", {"T": TS}),
    Case('TEXT({T}, "h:mm AM/PM")', "2:30 PM", {"T": TS}),
    Case('TEXT({T}, "上午/下午h点mm分")', "下午2点30分", {"T": TS}),
    Case('TEXT({T}, "yyyy-mm-dd hh:mm:ss")', "2024-03-05 14:30:09", {"T": TS}),
    Case('TEXT({D}, "0")', "45356", {"D": D}, id="text-date-as-number"),
    Case('TEXT(45000, "yyyy-mm-dd")', "2023-03-15", id="text-serial-as-date"),
    Case('TEXT(-1, "yyyy-mm-dd")', E("#VALUE!"), id="text-negative-date"),
    Case('TEXT("3", "0.00")', "3.00", id="text-numeric-text"),
    Case('TEXT("2024-03-05", "dddd")', "Tuesday", id="text-date-text"),
    Case('TEXT("2024/3/5 08:05", "h:mm")', "8:05", id="text-datetime-text"),
    Case('TEXT("abc", "0.00")', "abc", id="text-other-text"),
    Case('TEXT(TRUE, "0.00")', "TRUE"),
    Case('TEXT({E}, "0.00")', "0.00", {"E": None}, id="text-blank-is-zero"),
    Case('TEXT(1.5, {E})', None, {"E": None}, id="text-blank-format"),
    Case('TEXT(1.5, "0.0") & "元"', "1.5元"),
    Case('TEXT(1/0, "0")', E("#DIV/0!")),
    Case('TEXT(1, 1/0)', E("#DIV/0!")),
    Case('TEXT({L}.{x}, "0")', E("#VALUE!"), {"L.x": [1]}, id="text-list"),
    Case('TEXT({L}.{x}, NA())', E("#N/A"), {"L.x": [1]}, id="text-list-format-error"),
    Case('TEXT(NA(), "0")', E("#N/A")),
    Case('TEXT({A}, "0.0")', ["1.5", "0.0", "abc"], rows=[{"A": 1.5}, {"A": None}, {"A": "abc"}], id="text-rows"),
    Case('TEXT({D}, "yyyy-mm-dd")', ["2024-03-05", "1900-01-00"],
         rows=[{"D": D}, {"D": None}], id="text-blank-date"),
    Case('TEXT({F}, "0")', ["TRUE", "0"], rows=[{"F": True}, {"F": None}], id="text-boolean-field"),
    Case('TEXT(TODAY(), "yyyy/mm/dd aaa")', "2026/01/31 六"),
]
