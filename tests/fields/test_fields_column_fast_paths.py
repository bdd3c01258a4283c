"""The column fast paths store exactly what the field type's own parse stores, value by value
(tessera/fields/columns.py, tessera/fields/basic.py, tessera/bulkwrite.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tessera import bulkwrite
from tessera.errors import FieldValueError
from tessera.fields import get_field_type
from tessera.fields.columns import phone_digits, valid_as_is
from tessera.fields.sqltypes import JsonValue


class _Field:
    name = "手机"
    options: dict[str, object] = {}


PHONE = get_field_type("phone")
EMAIL = get_field_type("email")
NUMBER = get_field_type("number")

ACCEPTED = ["1234", "+123", "+71234567890", "13800138000", "0" * 30, "+" + "9" * 29]
REFUSED = ["123", "+12", "++1234", "1+234", "12345+", "+" + "9" * 30, "0" * 31, "",
           " 1234", "1234 ", "\x1f1234", "12\x1f34", "1234\x1f", "１２３４", "12a34",
           "138-0013-8000"]


def _one_by_one(field_type, values):
    out, errors = [], []
    for i, v in enumerate(values):
        try:
            out.append(field_type.parse(v, _Field()))
        except FieldValueError:
            out.append(None)
            errors.append(i)
    return out, errors


@pytest.mark.parametrize("text", ACCEPTED)
def test_phone_digits_accepts_what_parse_stores_unchanged(text):
    assert phone_digits([text, None, text])
    assert PHONE.parse(text, _Field()) == text


@pytest.mark.parametrize("text", REFUSED)
def test_phone_digits_leaves_everything_else_to_the_full_check(text):
    assert not phone_digits(["13800138000", text, None])


@pytest.mark.parametrize("text", REFUSED + ACCEPTED)
def test_phone_column_matches_parse_value_by_value(text):
    values = ["13800138000", text, None, "+71234567890"]
    stored, errors = PHONE.parse_column(values, _Field())
    want, bad = _one_by_one(PHONE, values)
    assert stored == want
    assert [i for i, _ in errors] == bad


@pytest.mark.parametrize("text", [" a@b.cn", "a@b.cn ", "\ta@b.cn", "a@b.cn\n", "\x1ca@b.cn",
                                  "a@b.cn\x1f", "", "a@b.cn"])
def test_email_column_edges_match_parse(text):
    values = ["x@example.com", text, None]
    stored, errors = EMAIL.parse_column(values, _Field())
    want, bad = _one_by_one(EMAIL, values)
    assert stored == want
    assert [i for i, _ in errors] == bad
    assert valid_as_is(values, EMAIL._pattern) == (text == "a@b.cn")


def test_integer_column_becomes_floats_with_and_without_blanks():
    assert NUMBER.parse_column([0, 3, 2**40], _Field()) == ([0.0, 3.0, float(2**40)], [])
    assert NUMBER.parse_column([0, None, 7], _Field()) == ([0.0, None, 7.0], [])
    stored, errors = NUMBER.parse_column([1, 10**400], _Field())
    assert [i for i, _ in errors] == [1]


def test_utc_texts_match_the_per_value_text():
    utc = dt.UTC
    column = [dt.datetime(2024, 1, 1, 1, 2, 3, tzinfo=utc), None,
              dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=utc), None]
    assert bulkwrite._utc_texts(column) == [
        None if v is None else bulkwrite._utc_text(v) for v in column] == [
        "2024-01-01T01:02:03Z", None, "1999-12-31T23:59:59Z", None]
    # what the one-pass text cannot give is left to the per-value conversion
    assert bulkwrite._utc_texts([column[0], dt.datetime(2024, 1, 1, microsecond=5, tzinfo=utc)]) \
        is None
    eight = dt.timezone(dt.timedelta(hours=8))
    assert bulkwrite._utc_texts([dt.datetime(2024, 1, 1, tzinfo=eight)]) is None
    assert bulkwrite._utc_texts([None, None]) is None


def test_json_lists_convert_once_per_object_and_keep_types_apart():
    calls = []

    def process(value):
        calls.append(value)
        return repr(value)

    shared = ["抖音", "美团"]
    values = [shared, None, [1], [1.0], [True], shared, ["抖音", "美团"], {"k": [1]}, shared]
    out = bulkwrite._convert_lists(values, process)
    assert out == [None if v is None else repr(v) for v in values]
    assert len(calls) == 5   # shared (and its equal copy) once; [1], [1.0], [True], the dict


def test_json_column_round_trip_through_the_bind_processor(tmp_path):
    import sqlalchemy as sa

    from tessera.db import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'json.db'}")
    table = sa.Table("fast_json", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("doc", JsonValue))
    shared = ["VIP"]
    docs = [shared, [1], [1.0], None, shared, ["VIP"]]
    with engine.begin() as conn:
        table.create(conn)
        bulkwrite.insert_columns(conn, table, ["id", "doc"], [list(range(6)), docs], 6)
    with engine.connect() as conn:
        got = [r.doc for r in conn.execute(sa.select(table).order_by(table.c.id))]
    assert got == docs
    assert [type(d[0]) for d in got if d] == [str, int, float, str, str]
