"""Server-rendered SVG charts (tessera.web.charts): every type draws its points with their
values, escapes labels, and copes with no data and a single 100% slice."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tessera.web.charts import CHARTS, Point, fmt, render_chart

POINTS = [Point("Lead", 5), Point("Visited", 3), Point("<b>&VIP", 2.5)]
MARKS = {"bar": "bar", "line": "point", "pie": "slice", "funnel": "stage"}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_every_chart_is_wellformed_svg_with_escaped_labels(kind) -> None:
    svg = render_chart(kind, POINTS, 'Title "quoted" <x>')
    root = ET.fromstring(svg)  # well-formed XML: labels were escaped
    assert root.get("role") == "img"
    assert root.get("aria-label").startswith('Title "quoted" <x>')  # number adds its value
    assert "<b>" not in svg
    if kind in MARKS:
        marks = [e for e in root.iter() if e.get("class") == MARKS[kind]]
        assert [(m.get("data-label"), float(m.get("data-value"))) for m in marks] == \
            [(p.label, p.value) for p in POINTS]


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_no_points_still_draws(kind) -> None:
    ET.fromstring(render_chart(kind, [], "empty"))


def test_number_and_pie_details() -> None:
    assert ">10.50<" in render_chart("number", POINTS, "n")
    whole = render_chart("pie", [Point("all", 4)], "p")
    assert "<circle" in whole and "(100%)" in whole
    half = render_chart("pie", [Point("a", 1), Point("b", 1)], "p")
    assert len(re.findall(r"<path d=", half)) == 2


@pytest.mark.parametrize("value, text", [(3, "3"), (1234567, "1,234,567"), (2.5, "2.50"),
                                         (0.125, "0.12")])
def test_fmt(value, text) -> None:
    assert fmt(value) == text
