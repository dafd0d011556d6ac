"""Chart geometry for the HTML pages: numbers only, drawn as inline SVG by the templates.

A chart here is a frozen value: boxes, lines and labels placed in a view box.  The templates
(``ecf/templates/_charts.html.j2``) turn them into ``<svg>`` elements, with Jinja2 escaping
every label, so no text is ever written into markup by hand.  Generated rather than taken from
a charting library: the pages need three kinds of chart (stacked bars across, stacked columns
by month, a timeline of lanes), which take about 250 lines and no dependency.  Measured on the
same stacked bar chart (4 rows, 3 series): pygal writes 19.8 KB of SVG and, by default, links
its tooltip script from the network, which these pages must never do; this module and its
template write 2.4 KB.  A vendored JavaScript library would weigh more than a page's data.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "PALETTE",
    "Box",
    "Chart",
    "Label",
    "Line",
    "Marker",
    "columns",
    "stacked_bars",
    "timeline",
]

#: Colours of the series, by name; others take the next colour of :data:`_CYCLE`.
PALETTE: dict[str, str] = {
    # states of a stage, in the order a stage goes through them
    "in-progress": "#2e86c1",
    "awaiting-decision": "#17a589",
    "extended": "#8e44ad",
    "deferred": "#a569bd",
    "passed": "#1e8449",
    "progressed": "#58d68d",
    "failed": "#c0392b",
    "withdrawn": "#95a5a6",
    "left": "#5d6d7e",
    # recommendations and findings
    "ready": "#1e8449",
    "on-track": "#27ae60",
    "met": "#27ae60",
    "at-risk": "#e67e22",
    "pending": "#e67e22",
    "not-met": "#c0392b",
    "missed": "#c0392b",
    # counts
    "overdue": "#c0392b",
    "due": "#2e86c1",
    "gaps": "#d35400",
    "records": "#2e86c1",
    # the timeline of one record
    "projected": "#aed6f1",
    "paused": "#7f8c8d",
    "part-time": "#f5b041",
    "held": "#1b2631",
    "agreed": "#8e44ad",
    "decision": "#34495e",
    "appeal": "#8e44ad",
}
_CYCLE = ("#2e86c1", "#27ae60", "#e67e22", "#8e44ad", "#16a085", "#c0392b", "#7f8c8d")


def colour(name: str, index: int = 0) -> str:
    """The colour of a series: its own in :data:`PALETTE`, else one of a cycle."""
    return PALETTE.get(name, _CYCLE[index % len(_CYCLE)])


@attrs.frozen
class Box:
    """A filled rectangle; ``title`` is its tooltip (and what a screen reader says)."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str = ""
    kind: str = "bar"


@attrs.frozen
class Line:
    """A straight line (an axis, a grid line, today's date)."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: str = "grid"


@attrs.frozen
class Label:
    """A piece of text; ``anchor`` is SVG's ``text-anchor`` (start, middle, end)."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    kind: str = "label"


@attrs.frozen
class Marker:
    """A point on a timeline: a dot (held), ring (due), diamond (agreed), square (decision)."""

    x: float
    y: float
    shape: str
    fill: str
    title: str


@attrs.frozen
class Chart:
    """One chart: its size (the SVG view box), what is drawn, and a legend."""

    name: str
    title: str
    width: float
    height: float
    boxes: tuple[Box, ...] = ()
    lines: tuple[Line, ...] = ()
    labels: tuple[Label, ...] = ()
    markers: tuple[Marker, ...] = ()
    legend: tuple[tuple[str, str], ...] = ()
    empty: str = ""


def _series(rows: Sequence[tuple[str, Mapping[str, int]]]) -> list[str]:
    """The series of the rows: those :data:`PALETTE` knows in its order, then the others."""
    seen: list[str] = []
    for _, values in rows:
        seen.extend(k for k in values if k not in seen)
    order = list(PALETTE)
    return sorted(seen, key=lambda k: (order.index(k) if k in order else len(order), seen.index(k)))


def stacked_bars(
    name: str,
    title: str,
    rows: Sequence[tuple[str, Mapping[str, int]]],
    *,
    empty: str = "Nothing to show.",
    width: float = 440,
) -> Chart:
    """Horizontal bars, one per row, each stacked by series (``{"on-track": 3, ...}``)."""
    series = _series(rows)
    legend = tuple((s, colour(s, i)) for i, s in enumerate(series))
    fills = dict(legend)
    if not rows or not any(sum(v.values()) for _, v in rows):
        return Chart(name, title, width, 40, empty=empty)
    left, right, bar, gap, top = 130.0, 40.0, 18.0, 8.0, 6.0
    most = max(sum(v.values()) for _, v in rows)
    scale = (width - left - right) / most
    boxes: list[Box] = []
    labels: list[Label] = []
    for i, (row, values) in enumerate(rows):
        y = top + i * (bar + gap)
        x = left
        labels.append(Label(left - 6, y + bar * 0.72, _short(row, 20), "end"))
        for key in series:
            count = values.get(key, 0)
            if count:
                w = count * scale
                boxes.append(Box(x, y, w, bar, fills[key], f"{row}: {key} {count}"))
                x += w
        labels.append(Label(x + 4, y + bar * 0.72, str(sum(values.values())), kind="value"))
    height = top * 2 + len(rows) * (bar + gap) - gap
    axis = Line(left, 0, left, height, "axis")
    return Chart(name, title, width, height, tuple(boxes), (axis,), tuple(labels), (), legend)


def columns(
    name: str,
    title: str,
    categories: Sequence[tuple[str, Mapping[str, int]]],
    *,
    empty: str = "Nothing to show.",
    width: float = 440,
) -> Chart:
    """Vertical columns, one per category (months), each stacked by series."""
    series = _series(categories)
    legend = tuple((s, colour(s, i)) for i, s in enumerate(series))
    fills = dict(legend)
    if not categories or not any(sum(v.values()) for _, v in categories):
        return Chart(name, title, width, 40, empty=empty)
    left, bottom, top, height = 28.0, 34.0, 14.0, 180.0
    most = max(sum(v.values()) for _, v in categories)
    step = (width - left - 4) / len(categories)
    bar = step * 0.7
    scale = (height - top - bottom) / most
    base = height - bottom
    boxes: list[Box] = []
    labels: list[Label] = []
    lines = [Line(left, base, width, base, "axis")]
    for tick in _ticks(most):
        y = base - tick * scale
        lines.append(Line(left, y, width, y))
        labels.append(Label(left - 4, y + 4, str(tick), "end", "tick"))
    for i, (category, values) in enumerate(categories):
        x = left + i * step + (step - bar) / 2
        y = base
        for key in series:
            count = values.get(key, 0)
            if count:
                h = count * scale
                y -= h
                boxes.append(Box(x, y, bar, h, fills[key], f"{category}: {key} {count}"))
        if y < base:
            labels.append(Label(x + bar / 2, y - 3, str(base_total(values)), "middle", "value"))
        first, _, second = category.partition(" ")
        labels.append(Label(x + bar / 2, base + 13, first, "middle", "tick"))
        if second:
            labels.append(Label(x + bar / 2, base + 25, second, "middle", "tick"))
    return Chart(name, title, width, height, tuple(boxes), tuple(lines), tuple(labels), (), legend)


def base_total(values: Mapping[str, int]) -> int:
    """The height of a stacked column: the sum of its series."""
    return sum(values.values())


def _ticks(most: int) -> list[int]:
    step = max(1, -(-most // 4))
    return list(range(step, most + 1, step))


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "\u2026"


@attrs.frozen
class Lane:
    """One row of a timeline: a name, its spans and its milestones."""

    name: str
    spans: tuple[tuple[dt.date, dt.date, str, str], ...] = ()
    """(first day, last day, series, tooltip): drawn in order, later ones on top."""
    points: tuple[tuple[dt.date, str, str, str], ...] = ()
    """(day, shape, series, tooltip): ``held`` dot, ``due`` ring, ``agreed`` diamond, ``decision``
    square."""


def timeline(
    name: str,
    title: str,
    lanes: Sequence[Lane],
    *,
    today: dt.date,
    width: float = 900,
) -> Chart:
    """Lanes of spans and milestones on one date axis, with a line at ``today``.

    The legend names the series drawn, in the order of :data:`PALETTE`.
    """
    days = [d for lane in lanes for s in lane.spans for d in s[:2]]
    days += [p[0] for lane in lanes for p in lane.points]
    if not days:
        return Chart(name, title, width, 40, empty="Nothing dated yet.")
    first = min(days).replace(day=1)
    last = max(*days, today)
    last = _month_after(last)
    left, right, lane_h, top = 150.0, 12.0, 30.0, 24.0
    span = max((last - first).days, 1)
    scale = (width - left - right) / span

    def x(day: dt.date) -> float:
        return left + (day - first).days * scale

    height = top + len(lanes) * lane_h + 8
    boxes: list[Box] = []
    markers: list[Marker] = []
    labels: list[Label] = []
    lines: list[Line] = []
    month = first
    months = max(1, span // 30)
    every = 1 if months <= 14 else 3 if months <= 40 else 6 if months <= 80 else 12  # noqa: PLR2004 - tick spacing
    while month <= last:
        if (month.month - 1) % every == 0 and x(month) < width - right - 30:
            lines.append(Line(x(month), top - 4, x(month), height - 8))
            text = (
                month.strftime("%b %Y")
                if month.month == 1 or month == first
                else month.strftime("%b")
            )
            labels.append(Label(x(month) + 2, top - 8, text, kind="tick"))
        month = _month_after(month)
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        labels.append(Label(left - 8, y + lane_h * 0.6, _short(lane.name, 24), "end"))
        for start, end, series, tip in lane.spans:
            w = max(x(end + dt.timedelta(days=1)) - x(start), 2.0)
            boxes.append(Box(x(start), y + 6, w, lane_h - 12, colour(series), tip, series))
        for day, shape, series, tip in lane.points:
            markers.append(Marker(x(day), y + lane_h / 2, shape, colour(series), tip))
    lines.append(Line(x(today), top - 4, x(today), height - 4, "today"))
    # the label stays inside the chart when today is near an edge
    edge = "end" if x(today) > width - 60 else "start" if x(today) < left + 60 else "middle"
    labels.append(Label(x(today), height + 8, f"as of {today.isoformat()}", edge, "today"))
    drawn = {s[2] for lane in lanes for s in lane.spans} | {
        p[2] for lane in lanes for p in lane.points
    }
    keys = tuple((s, colour(s)) for s in _series([("", dict.fromkeys(drawn, 1))]))
    return Chart(
        name,
        title,
        width,
        height + 12,
        tuple(boxes),
        tuple(lines),
        tuple(labels),
        tuple(markers),
        keys,
    )


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
