"""Server-rendered SVG charts for dashboards: number, bar, line, pie and funnel, one small
function per type in ``CHARTS`` (the registry the dashboard page dispatches on).

SVG built here rather than by a chart library keeps the CSP strict (no scripts, no inline
styles: colours are presentation attributes) and the pictures readable without JavaScript.
Every text goes through ``escape``; numbers are formatted once by ``fmt``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Point", "CHARTS", "render_chart", "fmt"]

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777",
           "#65a30d", "#ea580c", "#475569")
W, H = 480, 260


@dataclass(frozen=True)
class Point:
    label: str
    value: float


def fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _svg(body: str, label: str, height: int = H) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" role="img" '
            f'aria-label="{escape(label, {chr(34): "&quot;"})}" class="chart">'
            f"<title>{escape(label)}</title>{body}</svg>")


def number_chart(points: Sequence[Point], title: str) -> str:
    total = sum(p.value for p in points)
    return _svg(f'<text x="{W / 2}" y="120" text-anchor="middle" font-size="64" '
                f'font-weight="700" fill="#111827" class="big-number">{fmt(total)}</text>'
                f'<text x="{W / 2}" y="170" text-anchor="middle" font-size="18" '
                f'fill="#6b7280">{escape(title)}</text>', f"{title}: {fmt(total)}", 200)


def bar_chart(points: Sequence[Point], title: str) -> str:
    top = max([p.value for p in points] + [0]) or 1
    row = min(32, (H - 20) / max(1, len(points)))
    parts = []
    for i, p in enumerate(points):
        y = 10 + i * row
        width = max(0.0, p.value) / top * (W - 200)
        parts.append(
            f'<g class="bar" data-label="{escape(p.label)}" data-value="{p.value:g}">'
            f'<text x="110" y="{y + row * 0.65:.1f}" text-anchor="end" font-size="13" '
            f'fill="#374151">{escape(p.label)}</text>'
            f'<rect x="118" y="{y + 3:.1f}" width="{width:.1f}" height="{row - 6:.1f}" '
            f'fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{124 + width:.1f}" y="{y + row * 0.65:.1f}" font-size="12" '
            f'fill="#111827">{fmt(p.value)}</text></g>')
    return _svg("".join(parts), title)


def line_chart(points: Sequence[Point], title: str) -> str:
    if not points:
        return _svg("", title)
    top = max([p.value for p in points] + [0]) or 1
    step = (W - 80) / max(1, len(points) - 1)
    coords = [(40 + i * step, H - 40 - max(0.0, p.value) / top * (H - 70))
              for i, p in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}" class="point" '
        f'data-label="{escape(p.label)}" data-value="{p.value:g}"><title>{escape(p.label)}: '
        f'{fmt(p.value)}</title></circle>'
        f'<text x="{x:.1f}" y="{H - 18}" text-anchor="middle" font-size="11" '
        f'fill="#6b7280">{escape(p.label)}</text>'
        for (x, y), p in zip(coords, points, strict=True))
    axis = f'<line x1="40" y1="{H - 40}" x2="{W - 40}" y2="{H - 40}" stroke="#d1d5db"/>'
    return _svg(f'{axis}<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" '
                f'stroke-width="2.5"/>{dots}', title)


def pie_chart(points: Sequence[Point], title: str) -> str:
    total = sum(max(0.0, p.value) for p in points)
    if total <= 0:
        return _svg("", title)
    cx, cy, r = 130, H / 2, 100
    angle = -math.pi / 2
    parts = []
    for i, p in enumerate(points):
        share = max(0.0, p.value) / total
        colour = PALETTE[i % len(PALETTE)]
        legend = (f'<rect x="260" y="{20 + i * 22}" width="14" height="14" fill="{colour}"/>'
                  f'<text x="280" y="{32 + i * 22}" font-size="13" fill="#374151">'
                  f'{escape(p.label)} · {fmt(p.value)} ({share:.0%})</text>')
        if share >= 0.9999:
            slice_ = f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"/>'
        else:
            end = angle + share * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            slice_ = (f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 '
                      f'{x2:.2f},{y2:.2f} Z" fill="{colour}"/>')
            angle = end
        parts.append(f'<g class="slice" data-label="{escape(p.label)}" '
                     f'data-value="{p.value:g}">{slice_}{legend}</g>')
    return _svg("".join(parts), title)


def funnel_chart(points: Sequence[Point], title: str) -> str:
    top = max([p.value for p in points] + [0]) or 1
    row = min(40, (H - 20) / max(1, len(points)))
    parts = []
    for i, p in enumerate(points):
        width = max(2.0, max(0.0, p.value) / top * (W - 40))
        x, y = (W - width) / 2, 10 + i * row
        parts.append(
            f'<g class="stage" data-label="{escape(p.label)}" data-value="{p.value:g}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{row - 4:.1f}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" rx="3"/>'
            f'<text x="{W / 2}" y="{y + row * 0.6:.1f}" text-anchor="middle" font-size="13" '
            f'fill="#fff" font-weight="600">{escape(p.label)} · '
            f'{fmt(p.value)}</text></g>')
    return _svg("".join(parts), title)


CHARTS: dict[str, Callable[[Sequence[Point], str], str]] = {
    "number": number_chart, "bar": bar_chart, "line": line_chart, "pie": pie_chart,
    "funnel": funnel_chart,
}


def render_chart(kind: str, points: Sequence[Point], title: str) -> str:
    return CHARTS.get(kind, bar_chart)(points, title)
