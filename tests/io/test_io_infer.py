"""Type inference for --create-fields, and header matching keys."""

from __future__ import annotations

import datetime as dt

import pytest

from tessera.io.infer import infer_type
from tessera.io.names import column_letter, header_key

INFER_CASES = [
    (["是", "否", None], "checkbox"),
    ([True, False], "checkbox"),
    ([dt.date(2024, 1, 5), "2024/2/1", "2024年3月1日"], "date"),
    ([dt.datetime(2024, 1, 5, 9, 30), "2024-01-05 10:00"], "datetime"),
    (["50%", "12.5%"], "percent"),
    (["¥1,234", "¥5"], "currency"),
    (["12", 3.5, "1,234"], "number"),
    (["a@b.cn", "x.y@z.com"], "email"),
    (["13800138000", "13900139000"], "text"),        # phone numbers are not quantities
    (["00123", "00456"], "text"),                    # codes with leading zeros
    (["一行", "两\n行"], "long_text"),
    (["12", "abc"], "text"),
    ([None, ""], "text"),
]


@pytest.mark.parametrize("values, expected", INFER_CASES,
                         ids=[f"{e}-{i}" for i, (_, e) in enumerate(INFER_CASES)])
def test_infer_type(values: list, expected: str) -> None:
    assert infer_type(values).type == expected


@pytest.mark.parametrize("a, b", [("姓名", " 姓名 "), ("ＶＩＰ", "vip"), ("手机\u3000号", "手机 号"),
                                  ("Ａｇｅ（岁）", "age(岁)")])
def test_header_keys_match(a: str, b: str) -> None:
    assert header_key(a) == header_key(b)


@pytest.mark.parametrize("a, b", [("姓名", "名字"), ("手机号", "手机")])
def test_header_keys_differ(a: str, b: str) -> None:
    assert header_key(a) != header_key(b)


@pytest.mark.parametrize("index, letter", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"),
                                           (702, "AAA")])
def test_column_letters(index: int, letter: str) -> None:
    assert column_letter(index) == letter
