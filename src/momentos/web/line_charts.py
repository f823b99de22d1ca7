"""Server-side SVG line charts (a trend over periods, several series) and sparklines, accessible and
self-contained like ``charts.bar_chart``: an ``<svg role="img">`` with ``<title>`` and ``<desc>``, then a data table
with the same figures (a line chart) or a text alternative (a sparkline). Colours are presentation attributes.
Labels come translated; numbers are formatted by the caller's ``fmt``."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

from momentos.web.charts import PALETTE, Fmt, Series, _plain, _table

_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 30, 28
_ids = count(1)


def _bounds(series: Sequence[Series], y_min: float | None, y_max: float | None) -> tuple[float, float]:
    values = [v for s in series for v in s.values if v is not None]
    lo = y_min if y_min is not None else min(values, default=0.0)
    hi = y_max if y_max is not None else max(values, default=1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, description: str = "",
               fmt: Fmt = _plain, y_min: float | None = None, y_max: float | None = None,
               dashed: Sequence[str] = (), chart_id: str | None = None) -> Markup:
    """One line per series over the ``labels`` (periods or hours); a missing value breaks the line. Series named in
    ``dashed`` are drawn dashed (a baseline)."""
    chart_id = chart_id or f"line-{next(_ids)}"
    lo, hi = _bounds(series, y_min, y_max)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return _LEFT + i * step

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg class="chart-svg" viewBox="0 0 {_W} {_H}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description or title)}</desc>']
    for v in (lo, (lo + hi) / 2, hi):
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
                     f'<text x="{_LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#374151">{escape(fmt(v))}</text>')
    every = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{_H - 8}" text-anchor="middle" font-size="11" '
                         f'fill="#374151">{escape(label)}</text>')
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        parts.append(f'<rect x="{_LEFT + j * 150}" y="6" width="12" height="12" rx="2" fill="{colour}"/>'
                     f'<text x="{_LEFT + j * 150 + 16}" y="16" font-size="12" fill="#1f2937">'
                     f'{escape(s.name[:20])}</text>')
        dash = ' stroke-dasharray="5 4"' if s.name in dashed else ""
        for run in _runs(s.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(f'<polyline class="chart-line" points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"{dash} data-series="{escape(s.name)}"/>')
        for i, point in enumerate(s.values):
            if point is not None and s.name not in dashed:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(point):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(labels[i])} · {escape(s.name)}: {escape(fmt(point))}</title></circle>')
    parts.append("</svg>")
    table = _table(title, labels, series, fmt)
    return Markup(f'<figure class="chart" id="{chart_id}">{"".join(parts)}{table}</figure>')  # noqa: S704


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The unbroken stretches of values (a None ends a stretch)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]


def sparkline(values: Sequence[int], title: str, description: str = "", *, width: int = 120,
              height: int = 28) -> Markup:
    """A small trend line through ``values`` (oldest first), scaled to the largest, with a base line and a dot on
    the last value; ``title`` (also its accessible name) says what it shows, ``description`` its figures."""
    pad = 3
    hi = max(values, default=0) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [(pad + i * step, height - pad - (height - 2 * pad) * v / hi) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    trend = (f'<polyline points="{line}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>'
             if len(points) > 1 else "")
    last = f'<circle cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" r="2.5" fill="{PALETTE[0]}"/>' if points else ""
    desc = f"<desc>{escape(description)}</desc>" if description else ""
    return Markup(  # noqa: S704 - every text is escaped
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{desc}'
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" stroke="#cbd5e1"/>'
        f'{trend}{last}</svg>')
