"""The import's per-column fast paths give exactly what the per-value paths give: naive
datetimes converted with one fixed offset (tessera.fields.columns.naive_to_utc) and the
calamine reader's one-pass cell conversion."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tessera.fields import get_field_type
from tessera.fields.columns import naive_to_utc
from tessera.fields.parsing import zone as parsing_zone
from tessera.io.readers import _cell, _cells


class _Field:
    def __init__(self, timezone: str) -> None:
        self.options = {"timezone": timezone}
        self.name = "到店"


def _series(start: dt.datetime, step: dt.timedelta, count: int) -> list[dt.date | None]:
    values: list[dt.date | None] = [start + step * i for i in range(count)]
    values[3] = None
    values[5] = start.date()   # calamine reads a date-time cell at midnight as a date
    return values


CASES = [  # (zone, first value, step, count, whether one offset covers the column)
    ("Asia/Shanghai", dt.datetime(2024, 1, 1, 9, 0, 0, 500), dt.timedelta(minutes=977), 500,
     True),
    ("Asia/Shanghai", dt.datetime(1986, 1, 1), dt.timedelta(hours=13), 1000, False),  # DST
    ("America/New_York", dt.datetime(2024, 1, 2), dt.timedelta(hours=5), 300, True),
    ("America/New_York", dt.datetime(2024, 3, 9), dt.timedelta(minutes=17), 300, False),
    ("America/New_York", dt.datetime(2024, 11, 2, 23), dt.timedelta(minutes=7), 300, False),
    ("Australia/Lord_Howe", dt.datetime(2024, 4, 6, 20), dt.timedelta(minutes=11), 300,
     False),   # a 30-minute DST change
    ("Europe/London", dt.datetime(2024, 6, 1), dt.timedelta(hours=3), 300, True),
    ("UTC", dt.datetime(1900, 1, 1), dt.timedelta(days=400), 300, True),
    ("Asia/Kolkata", dt.datetime(1990, 1, 1), dt.timedelta(days=5), 290, True),
]


@pytest.mark.parametrize(("zone", "start", "step", "count", "fixed"), CASES)
def test_naive_datetimes_convert_as_one_by_one(zone: str, start: dt.datetime,
                                               step: dt.timedelta, count: int,
                                               fixed: bool) -> None:
    values = _series(start, step, count)
    field = _Field(zone)
    datetime_type = get_field_type("datetime")
    one_by_one = [datetime_type.parse(v, field) for v in values]
    stored, errors = datetime_type.parse_column(values, field)
    assert errors == [] and stored == one_by_one
    assert all(v is None or (v.tzinfo is dt.UTC and v.microsecond == 0) for v in stored)
    assert (naive_to_utc(values, parsing_zone(zone)) is not None) is fixed


def test_fast_path_declines_mixed_columns() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    aware = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert naive_to_utc([dt.datetime(2024, 1, 1), aware], tz) is None
    assert naive_to_utc([dt.datetime(2024, 1, 1), "2024-01-01 10:00"], tz) is None
    assert naive_to_utc([None, None], tz) is None
    assert naive_to_utc([dt.datetime(1990, 1, 1), dt.datetime(2024, 1, 1)], tz) is None  # long


def test_reader_cells_in_one_pass_match_cell_by_cell() -> None:
    row = ["", "x", " ", 0.0, 1.5, 3, True, False, None, dt.date(2024, 1, 5),
           dt.datetime(2024, 1, 5, 9), dt.time(9, 30), dt.timedelta(hours=25, minutes=1)]
    assert _cells(row) == [_cell(v) for v in row] == [
        None, "x", " ", 0.0, 1.5, 3, True, False, None, dt.date(2024, 1, 5),
        dt.datetime(2024, 1, 5, 9), "09:30:00", "25:01:00"]


def test_reader_cells_plain_rows_lose_every_empty_text() -> None:
    row = ["", "a", "", 0.0, "", None, dt.date(2024, 1, 5), False, ""]
    want = [_cell(v) for v in row]
    assert _cells(list(row)) == want == [None, "a", None, 0.0, None, None, dt.date(2024, 1, 5),
                                         False, None]
    assert _cells(["x", 1.5]) == ["x", 1.5]
    assert _cells(("", "b")) == [None, "b"]   # not a list: converted into a new one
