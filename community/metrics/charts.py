"""Geometry for the dashboard's inline SVG charts. Python computes coordinates; templates/metrics/_chart.html
draws them (so every label is escaped by the template engine). No JavaScript, no chart library."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 34
PALETTE = ["#2455c3", "#e07a1f", "#2a9d8f", "#8a4fbf", "#c23b4a", "#6b7280"]
MAX_X_LABELS = 8


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: object
    label: str


@dataclass
class Series:
    key: str
    label: str
    color: str
    points: str = ""  # polyline "x,y x,y"
    dots: list[tuple[float, float, object, str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)


@dataclass
class ChartGeometry:
    kind: str
    width: int = WIDTH
    height: int = HEIGHT
    series: list[Series] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    zero_y: float = HEIGHT - BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    empty: bool = False


def nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2, 2.5, 5 or 10 times a power of ten."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        bound = step * 10 ** exponent
        if bound >= value:
            return bound
    return 10 ** (exponent + 1)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _num(value) -> float | None:
    return None if value is None or value == "" else float(value)


def build(*, kind: str, rows: list[dict], x: str, series: list[str], labels: dict[str, str]) -> ChartGeometry:
    chart = ChartGeometry(kind=kind)
    n = len(rows)
    values = [_num(r.get(key)) for r in rows for key in series]
    if n == 0 or all(not v for v in values):  # nothing but zeros and gaps: say "no data" instead
        chart.empty = True
        return chart
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    negative_keys = [key for key in series if key == "dormant"] if kind == "stacked" else []
    if kind == "stacked":
        top = max(sum(_num(r.get(k)) or 0 for k in series if k not in negative_keys) for r in rows)
        bottom = max(sum(_num(r.get(k)) or 0 for k in negative_keys) for r in rows) if negative_keys else 0
    else:
        top = max(v for v in values if v is not None)
        bottom = 0
    top = nice_max(top)
    bottom = nice_max(bottom) if bottom > 0 else 0
    span = top + bottom

    def y_of(v: float) -> float:
        return round(TOP + plot_h * (top - v) / span, 1)

    chart.zero_y = y_of(0)
    chart.y_ticks = [(y_of(v), _fmt(v)) for v in (top, top / 2, 0)] + ([(y_of(-bottom), "-" + _fmt(bottom))]
                                                                       if bottom else [])
    band = plot_w / n
    every = max(1, math.ceil(n / MAX_X_LABELS))
    centers = [LEFT + band * (i + 0.5) for i in range(n)]
    chart.x_labels = [(round(centers[i], 1), str(rows[i].get(x, ""))) for i in range(0, n, every)]
    for index, key in enumerate(series):
        chart.series.append(Series(key=key, label=labels.get(key, key), color=PALETTE[index % len(PALETTE)]))
    if kind == "line":
        for s in chart.series:
            pts = []
            for i, r in enumerate(rows):
                v = _num(r.get(s.key))
                if v is None:
                    continue
                pts.append((round(centers[i], 1), y_of(v)))
                s.dots.append((round(centers[i], 1), y_of(v), r.get(s.key), str(r.get(x, ""))))
            s.points = " ".join(f"{px},{py}" for px, py in pts)
    elif kind == "bar":
        width = band * 0.8 / len(series)
        for j, s in enumerate(chart.series):
            for i, r in enumerate(rows):
                v = _num(r.get(s.key)) or 0
                bx = LEFT + band * i + band * 0.1 + width * j
                s.bars.append(Bar(round(bx, 1), y_of(v), round(max(width - 1, 1), 1), round(chart.zero_y - y_of(v), 1),
                                  r.get(s.key), str(r.get(x, ""))))
    elif kind == "stacked":
        width = band * 0.7
        for i, r in enumerate(rows):
            up = 0.0
            down = 0.0
            for s in chart.series:
                v = _num(r.get(s.key)) or 0
                bx = round(LEFT + band * i + band * 0.15, 1)
                if s.key in negative_keys:
                    s.bars.append(Bar(bx, y_of(-down), round(width, 1),
                                      round(y_of(-(down + v)) - y_of(-down), 1), r.get(s.key), str(r.get(x, ""))))
                    down += v
                else:
                    s.bars.append(Bar(bx, y_of(up + v), round(width, 1), round(y_of(up) - y_of(up + v), 1),
                                      r.get(s.key), str(r.get(x, ""))))
                    up += v
    return chart


def heat_color(share: float | None) -> str:
    """Background for a cohort cell: white to the accent blue; text stays readable (see dashboard.css)."""
    if share is None:
        return "transparent"
    alpha = max(0.06, min(1.0, share / 100))
    return f"rgba(36, 85, 195, {alpha:.2f})"
