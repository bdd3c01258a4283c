"""Multi-select fields (a list under a plain field name: its labels), date ± a number field,
and MIN/MAX over lists of dates and datetimes."""

import datetime as dt

from . import Case, E

D = dt.date
T = dt.datetime
TAGS = {"Tags": ["VIP", "新客"], "None": None}
VISITS = {"V.At": [T(2024, 3, 5, 10, 0), T(2024, 4, 1, 9, 30), None], "V.Day": [D(2024, 3, 5), D(2023, 1, 2)]}

CASES = [
    # a multi-select where one value is expected: the labels joined with ", "
    Case("{Tags}", "VIP, 新客", TAGS, id="multi-as-text"),
    Case('{Tags} & "!"', "VIP, 新客!", TAGS),
    Case("LEN({Tags})", 7.0, TAGS),
    Case('{Tags} = "vip, 新客"', True, TAGS, id="multi-compare-text"),
    Case('ISNUMBER(SEARCH("新客", {Tags}))', True, TAGS, id="multi-search"),
    Case('ISNUMBER(SEARCH("老客", {Tags}))', False, TAGS),
    Case('IF(TRUE, {Tags}, 1)', "VIP, 新客", TAGS, id="multi-branch"),
    Case("ISBLANK({Tags})", False, TAGS),
    Case("ISTEXT({Tags})", True, TAGS),
    # … and a range of its labels for the functions that take ranges
    Case("COUNTA({Tags})", 2.0, TAGS, id="multi-counta"),
    Case("COUNTBLANK({Tags})", 0.0, TAGS),
    Case("COUNT({Tags})", 0.0, TAGS),
    Case("SUM({Tags})", 0.0, TAGS, id="multi-sum-skips-text"),
    Case('TEXTJOIN(" / ", TRUE, {Tags}, "x")', "VIP / 新客 / x", TAGS, id="multi-textjoin"),
    Case('ARRAYJOIN({Tags}, "|")', "VIP|新客", TAGS),
    Case('COUNTIFS({Tags}, "新客")', 1.0, TAGS, id="multi-countifs"),
    Case('COUNTIF({Tags}, "v*")', 1.0, TAGS),
    Case("COUNTUNIQUE({Tags})", 2.0, TAGS),
    Case('MATCH("新客", {Tags}, 0)', 2.0, TAGS, id="multi-match"),
    Case("INDEX({Tags}, 1)", "VIP", TAGS),
    Case('XLOOKUP("VIP", {Tags}, {Tags})', "VIP", TAGS),
    Case("AND({Tags}, TRUE)", True, TAGS, id="multi-and-skips-text"),
    Case('COUNTIFS({Tags}, "*客")', [1.0, 0.0, 2.0],
         rows=[{"Tags": ["VIP", "新客"]}, {"Tags": None}, {"Tags": ["老客", "新客"]}], id="multi-rows"),
    Case("COUNTA({Tags}) & {Tags}", ["1a", "0", "3x, y, z"],
         rows=[{"Tags": ["a"]}, {"Tags": []}, {"Tags": ["x", "y", "z"]}], id="multi-empty"),
    # date ± a number of days is a date (the fraction dropped); a fractional literal gives a datetime
    Case("{D} + {N}", D(2024, 3, 12), {"D": D(2024, 3, 5), "N": 7}, id="date-plus-number-field"),
    Case("{D} + {N}", D(2024, 3, 12), {"D": D(2024, 3, 5), "N": 7.75}, id="date-plus-fraction-field"),
    Case("{D} - {N}", D(2024, 2, 26), {"D": D(2024, 3, 5), "N": 7.5}, id="date-minus-fraction-field"),
    Case("{N} + {D}", D(2024, 3, 12), {"D": D(2024, 3, 5), "N": 7}),
    Case("{D} + {N} * 2", D(2024, 3, 19), {"D": D(2024, 3, 5), "N": 7}),
    Case("{D} + {N}", D(2024, 3, 5), {"D": D(2024, 3, 5), "N": None}, id="date-plus-blank-field"),
    Case("{D} + 0.5", T(2024, 3, 5, 12, 0), {"D": D(2024, 3, 5)}, id="date-plus-fraction-literal"),
    Case("{D} - 1.25", T(2024, 3, 3, 18, 0), {"D": D(2024, 3, 5)}),
    Case("{T} + {N}", T(2024, 3, 12, 10, 0), {"T": T(2024, 3, 5, 10, 0), "N": 7}, id="datetime-plus-number"),
    Case('{D} + {S}', D(2024, 3, 8), {"D": D(2024, 3, 5), "S": "3"}, id="date-plus-numeric-text"),
    Case('{D} + {S}', E("#VALUE!"), {"D": D(2024, 3, 5), "S": "x"}),
    Case("IF({N} > 0, {D} + {N}, {D})", D(2024, 3, 12), {"D": D(2024, 3, 5), "N": 7}, id="date-branches"),
    # MIN / MAX over lists of datetimes and dates give a datetime / date
    Case("MAX({V}.{At})", T(2024, 4, 1, 9, 30), VISITS, id="max-datetime-list"),
    Case("MIN({V}.{At})", T(2024, 3, 5, 10, 0), VISITS, id="min-datetime-list"),
    Case("MAX({V}.{Day})", D(2024, 3, 5), VISITS, id="max-date-list"),
    Case("MIN({V}.{Day})", D(2023, 1, 2), VISITS),
    Case("MAX({V}.{At}, DATE(2025, 1, 1))", T(2025, 1, 1), VISITS),
    Case("TODAY() - MAX({V}.{Day})", 697.0, VISITS, id="days-since-max-date"),
]
