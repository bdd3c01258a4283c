"""REGEXMATCH, REGEXEXTRACT, REGEXREPLACE: Python syntax, case-sensitive, on every backend."""

from . import Case, E

CASES = [
    # ----- REGEXMATCH -----
    Case('REGEXMATCH("abc123", "\\d+")', True),
    Case('REGEXMATCH("abc", "^\\d")', False),
    Case('REGEXMATCH("ABC", "abc")', False, id="regexmatch-case-sensitive"),
    Case('REGEXMATCH("ABC", "(?i)abc")', True, id="regexmatch-inline-flag"),
    Case('REGEXMATCH("abc", "(")', E("#VALUE!")),
    Case('REGEXMATCH({Empty}, "^$")', True, {"Empty": None}),
    Case('REGEXMATCH("abc", "")', True, id="regexmatch-empty-pattern"),
    Case('REGEXMATCH("电话 138-0000-1111", "1\\d{2}-\\d{4}")', True),
    Case('REGEXMATCH(12.5, "^\\d+\\.5$")', True),
    Case('REGEXMATCH(1/0, "a")', E("#DIV/0!")),
    Case('IF(REGEXMATCH({P}, "^1[3-9]\\d{9}$"), "ok", "bad")', ["ok", "bad"],
         rows=[{"P": "13800001111"}, {"P": "1380000111"}], id="regexmatch-rows"),
    # ----- REGEXEXTRACT -----
    Case('REGEXEXTRACT("abc123", "\\d+")', "123"),
    Case('REGEXEXTRACT("abc123", "[a-z]+(\\d)")', "1", id="regexextract-group"),
    Case('REGEXEXTRACT("abc", "\\d")', E("#N/A")),
    Case('REGEXEXTRACT("abc", "(")', E("#VALUE!")),
    Case('REGEXEXTRACT("abc", "(?P=x)")', E("#VALUE!"), id="regexextract-unsupported"),
    Case('REGEXEXTRACT("abc", "x*")', None, id="regexextract-empty-match"),
    Case('REGEXEXTRACT("张三 <zs@example.com>", "<(.+)>")', "zs@example.com"),
    Case('REGEXEXTRACT({Empty}, "a")', E("#N/A"), {"Empty": None}),
    Case('REGEXEXTRACT("a", NA())', E("#N/A")),
    Case('REGEXEXTRACT({T}, "\\d+")', ["42", E("#N/A")], rows=[{"T": "no 42"}, {"T": "none"}], id="regexextract-rows"),
    # ----- REGEXREPLACE -----
    Case('REGEXREPLACE("2024-03-05", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")', "05/03/2024"),
    Case('REGEXREPLACE("a1b22", "\\d", "#")', "a#b##"),
    Case('REGEXREPLACE("abc", "x", "y")', "abc"),
    Case('REGEXREPLACE("abc", "[", "y")', E("#VALUE!")),
    Case('REGEXREPLACE("abc", ".", "")', None, id="regexreplace-to-blank"),
    Case('REGEXREPLACE("price 5", "\\d", "$$$0")', "price $5", id="regexreplace-dollars"),
    Case('REGEXREPLACE("a\\b", "\\\\", "/")', "a/b", id="regexreplace-backslash"),
    Case('REGEXREPLACE("  多个   空格 ", "\\s+", " ")', " 多个 空格 "),
    Case('REGEXREPLACE({Empty}, "^$", "blank")', "blank", {"Empty": None}),
    Case('REGEXREPLACE("a", "a", 1/0)', E("#DIV/0!")),
]
