"""Server-side SVG charts: horizontal bar charts (grouped or stacked), accessible and self-contained.

Each chart is one ``<figure>``: an ``<svg role="img">`` with ``<title>`` and ``<desc>`` (read by screen readers),
followed by a data table with the same figures (the text alternative; pages may collapse it). Colours are SVG
presentation attributes, not CSS, so a chart renders the same in a page under a strict Content-Security-Policy,
in a standalone HTML report and when printed. Labels are passed in already translated; numbers are formatted by the
caller's ``fmt``. Output is escaped Markup, ready for Jinja2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0891b2", "#db2777", "#65a30d", "#64748b")
_WIDTH = 640
_LABEL_W = 170
_VALUE_W = 70
_BAR_H = 14
_GAP = 8
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    """One value per category (None: no figure)."""


Fmt = Callable[[float | None], str]


def _plain(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, description: str = "",
              fmt: Fmt = _plain, stacked: bool = False, chart_id: str | None = None) -> Markup:
    """Bars per category: one bar per series side by side (grouped), or one bar split by series (stacked)."""
    chart_id = chart_id or f"chart-{next(_ids)}"
    rows_per_cat = 1 if stacked else max(len(series), 1)
    band = rows_per_cat * _BAR_H + _GAP * 2
    legend, legend_h = _legend(series) if len(series) > 1 else ([], 0)
    height = legend_h + band * len(categories) + 4
    scale = _scale(categories, series, stacked)
    plot_w = _WIDTH - _LABEL_W - _VALUE_W
    parts = [f'<svg class="chart-svg" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description or title)}</desc>']
    parts += legend
    for i, category in enumerate(categories):
        top = legend_h + i * band + _GAP
        parts.append(f'<text x="{_LABEL_W - 8}" y="{top + rows_per_cat * _BAR_H / 2 + 4}" text-anchor="end" '
                     f'font-size="12" fill="#1f2937">{escape(_short(category))}</text>')
        parts.append(f'<line x1="{_LABEL_W}" x2="{_LABEL_W}" y1="{top - 3}" y2="{top + rows_per_cat * _BAR_H + 3}" '
                     'stroke="#cbd5e1"/>')
        offset = 0.0
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            width = 0.0 if not value or value < 0 or scale == 0 else plot_w * value / scale
            y = top if stacked else top + j * _BAR_H
            x = _LABEL_W + (offset if stacked else 0)
            if width > 0:
                parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{y}" width="{width:.1f}" '
                             f'height="{_BAR_H - 2}" rx="2" fill="{PALETTE[j % len(PALETTE)]}" '
                             f'data-series="{escape(s.name)}" data-category="{escape(category)}">'
                             f'<title>{escape(category)} · {escape(s.name)}: {escape(fmt(value))}</title></rect>')
            if not stacked:
                parts.append(f'<text x="{x + width + 4:.1f}" y="{y + _BAR_H - 4}" font-size="11" '
                             f'fill="#374151">{escape(fmt(value))}</text>')
            offset += width
    parts.append("</svg>")
    table = _table(title, categories, series, fmt)
    return Markup(f'<figure class="chart" id="{chart_id}">{"".join(parts)}{table}</figure>')  # noqa: S704


def _scale(categories: Sequence[str], series: Sequence[Series], stacked: bool) -> float:
    def value(s: Series, i: int) -> float:
        v = s.values[i] if i < len(s.values) else None
        return v if v is not None and v > 0 else 0.0

    if stacked:
        return max((sum(value(s, i) for s in series) for i in range(len(categories))), default=0.0)
    return max((value(s, i) for s in series for i in range(len(categories))), default=0.0)


_LEGEND_ROW = 20


def _legend(series: Sequence[Series]) -> tuple[list[str], int]:
    """The legend's swatches, wrapped onto as many rows as the chart's width needs, and its height."""
    out, x, row = [], 8, 0
    for j, s in enumerate(series):
        name = _short(s.name, 40)
        width = 28 + 7 * len(name)
        if x + width > _WIDTH and x > 8:
            x, row = 8, row + 1
        y = 4 + row * _LEGEND_ROW
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{PALETTE[j % len(PALETTE)]}"/>'
                   f'<text x="{x + 16}" y="{y + 10}" font-size="12" fill="#1f2937">{escape(name)}</text>')
        x += width
    return out, (row + 1) * _LEGEND_ROW + 2


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _table(title: str, categories: Sequence[str], series: Sequence[Series], fmt: Fmt) -> str:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    body = "".join(
        f'<tr><th scope="row">{escape(c)}</th>'
        + "".join(f"<td>{escape(fmt(s.values[i] if i < len(s.values) else None))}</td>" for s in series) + "</tr>"
        for i, c in enumerate(categories))
    return (f'<details class="chart-data"><summary>{escape(title)}</summary><table class="chart-table">'
            f'<thead><tr><td></td>{head}</tr></thead><tbody>{body}</tbody></table></details>')
