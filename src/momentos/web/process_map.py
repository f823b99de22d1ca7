"""The process map of a service, drawn server-side: the moment-level directly-follows graph and its variants.

The graph's layout comes from the journey itself, so no graph-layout library is needed: the moments stand in one
column in the journey model's order; a move to the next moment is a straight arrow between neighbours, a jump ahead
curves on the right and a move back (a return to support, a renewal) on the left, each arc as wide as its share of
the moves and labelled with its count and median time. Arcs carry ``data-rank`` (1 = most frequent) so the page's
slider (``/static/process-map.js``) shows only the N most frequent; without scripts (the offline report, print)
every arc up to ``shown`` is drawn. Variants are rows of moment chips with their count and share.

Like ``charts``: one accessible ``<figure>`` (``<svg role="img">`` with title and description, then a data table),
colours as presentation attributes, labels passed in already translated, escaped Markup out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from momentos.analytics.schemas import PerformanceEdge, VariantRead

WIDTH = 640
NODE_W = 220
NODE_H = 34
ROW = 64
TOP = 16
NODE_X = (WIDTH - NODE_W) / 2
FORWARD = "#2563eb"
BACKWARD = "#db2777"
MAX_STROKE = 9.0
DEFAULT_SHOWN = 12


@dataclass(frozen=True)
class MapLabels:
    """The translated words the drawing needs."""

    title: str
    description: str
    source: str
    target: str
    moves: str
    median: str
    variants: str
    processes: str
    share: str
    arcs_shown: str
    no_moves: str


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _centre_y(index: int) -> float:
    return TOP + index * ROW + NODE_H / 2


def _marker(chart_id: str, name: str, colour: str) -> str:
    return (f'<marker id="{chart_id}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" '
            f'markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')


def _arc_path(i: int, j: int, span_rank: int) -> tuple[str, float, float]:
    """The SVG path of a move from row i to row j, and where its label goes."""
    if j == i + 1:
        x = WIDTH / 2
        top, bottom = float(TOP + i * ROW + NODE_H), float(TOP + j * ROW)
        return f"M{x:.1f},{top:.1f} L{x:.1f},{bottom - 2:.1f}", x + 8, (top + bottom) / 2 + 4
    y1, y2 = _centre_y(i), _centre_y(j)
    forward = j > i
    side = NODE_X + NODE_W if forward else NODE_X
    bulge = 26.0 + 14 * span_rank
    cx = side + bulge if forward else side - bulge
    path = f"M{side:.1f},{y1:.1f} C{cx:.1f},{y1:.1f} {cx:.1f},{y2:.1f} {side:.1f},{y2:.1f}"
    label_x = side + 0.75 * bulge + 4 if forward else side - 0.75 * bulge - 4
    return path, label_x, (y1 + y2) / 2 + 4


def moment_graph(edges: Sequence[PerformanceEdge], moments: Sequence[str], names: Mapping[str, str],
                 labels: MapLabels, duration: Callable[[float], str], number: Callable[[int], str], *,
                 chart_id: str = "process-map", shown: int = DEFAULT_SHOWN) -> Markup:
    """The moment-level directly-follows graph of ``edges`` (moment keys) over ``moments`` in journey order.
    Moves between moments outside ``moments`` (another model's keys) are left out."""
    order = {m: k for k, m in enumerate(moments)}
    kept = sorted((e for e in edges if e.source in order and e.target in order and e.source != e.target),
                  key=lambda e: (-e.frequency, order[e.source], order[e.target]))
    total = max((e.frequency for e in kept), default=0)
    height = TOP * 2 + ROW * (len(moments) - 1) + NODE_H
    parts = [f'<svg class="chart-svg process-map-svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(labels.title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(labels.description)}</desc>',
             f'<defs>{_marker(chart_id, "fwd", FORWARD)}{_marker(chart_id, "back", BACKWARD)}</defs>']
    spans: dict[tuple[bool, int], int] = {}
    arcs = []
    for rank, edge in enumerate(kept, start=1):
        i, j = order[edge.source], order[edge.target]
        forward = j > i
        # Longer jumps bulge further out, so arcs of different lengths do not lie on top of each other.
        span_key = (forward, abs(j - i))
        span_rank = spans.setdefault(span_key, abs(j - i))
        path, lx, ly = _arc_path(i, j, span_rank)
        colour = FORWARD if forward else BACKWARD
        stroke = 1.2 + (MAX_STROKE - 1.2) * edge.frequency / total if total else 1.2
        hidden = ' style="display:none"' if rank > shown else ""
        text = f"{number(edge.frequency)} · {duration(edge.median_s)}"
        tooltip = (f"{names.get(edge.source, edge.source)} → {names.get(edge.target, edge.target)}: "
                   f"{number(edge.frequency)} {labels.moves}, {labels.median} {duration(edge.median_s)}")
        arcs.append(
            f'<g class="process-arc" data-rank="{rank}" data-source="{escape(edge.source)}" '
            f'data-target="{escape(edge.target)}" data-frequency="{edge.frequency}"{hidden}>'
            f'<title>{escape(tooltip)}</title>'
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-opacity="0.75" stroke-width="{stroke:.1f}" '
            f'marker-end="url(#{chart_id}-{"fwd" if forward else "back"})"/>'
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" fill="#1f2937" '
            f'text-anchor="{"start" if forward or j == i + 1 else "end"}">{escape(text)}</text></g>')
    parts += arcs
    for k, moment in enumerate(moments):
        y = TOP + k * ROW
        parts.append(f'<g class="process-node" data-moment="{escape(moment)}">'
                     f'<rect x="{NODE_X:.1f}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="#eff6ff" '
                     f'stroke="#93c5fd"/>'
                     f'<text x="{WIDTH / 2:.1f}" y="{y + NODE_H / 2 + 4:.1f}" text-anchor="middle" font-size="12" '
                     f'fill="#1e3a8a">{escape(_short(names.get(moment, moment)))}</text></g>')
    parts.append("</svg>")
    slider = ""
    if len(kept) > 1:
        value = min(shown, len(kept))
        slider = (f'<label class="process-map-slider">{escape(labels.arcs_shown)} '
                  f'<input type="range" min="1" max="{len(kept)}" value="{value}" data-process-map="{chart_id}"> '
                  f'<output>{value}</output> / {len(kept)}</label>')
    empty = "" if kept else f'<p class="empty">{escape(labels.no_moves)}</p>'
    return Markup(  # noqa: S704 - every value above is escaped
        f'<figure class="chart process-map" id="{chart_id}">{slider}{"".join(parts)}{empty}'
        f'{_edge_table(kept, names, labels, duration, number)}</figure>')


def _edge_table(edges: Sequence[PerformanceEdge], names: Mapping[str, str], labels: MapLabels,
                duration: Callable[[float], str], number: Callable[[int], str]) -> str:
    rows = "".join(
        f'<tr><td>{escape(names.get(e.source, e.source))}</td><td>{escape(names.get(e.target, e.target))}</td>'
        f"<td>{escape(number(e.frequency))}</td><td>{escape(duration(e.median_s))}</td></tr>" for e in edges)
    return (f'<details class="chart-data"><summary>{escape(labels.title)}</summary><table class="chart-table">'
            f'<thead><tr><th scope="col">{escape(labels.source)}</th><th scope="col">{escape(labels.target)}</th>'
            f'<th scope="col">{escape(labels.moves)}</th><th scope="col">{escape(labels.median)}</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></details>")


def variant_rows(variants: Sequence[VariantRead], names: Mapping[str, str], labels: MapLabels,
                 number: Callable[[int], str], percent: Callable[[float], str]) -> Markup:
    """The most common paths through the moments: one row of moment chips each, with its count and share."""
    rows = []
    for k, variant in enumerate(variants):
        chips = '<span class="chip-arrow" aria-hidden="true">→</span>'.join(
            f'<span class="moment-chip" data-moment="{escape(m)}">{escape(names.get(m, m))}</span>'
            for m in variant.variant)
        rows.append(f'<li class="variant-row" data-rank="{k + 1}"><span class="variant-chips">{chips}</span>'
                    f'<span class="variant-count">{escape(number(variant.count))} {escape(labels.processes)} · '
                    f"{escape(percent(100 * variant.share))}</span></li>")
    return Markup(f'<ol class="variants" aria-label="{escape(labels.variants)}">{"".join(rows)}</ol>')  # noqa: S704
