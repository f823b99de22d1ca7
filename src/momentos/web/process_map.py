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
NODE_FILL = "#eff6ff"
NODE_STROKE = "#93c5fd"
NODE_TEXT = "#1e3a8a"
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


@dataclass(frozen=True)
class ProcessMapData:
    """What a process map shows, with the translated words and the formatters of one language: the moment-level
    moves (``edges``), the journey's ``moments`` in order, their names and the most common ``variants``."""

    edges: Sequence[PerformanceEdge]
    moments: Sequence[str]
    names: Mapping[str, str]
    variants: Sequence[VariantRead]
    labels: MapLabels
    duration: Callable[[float], str]
    number: Callable[[int], str]
    percent: Callable[[float], str]


def short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _centre_y(index: int) -> float:
    return TOP + index * ROW + NODE_H / 2


def _marker(chart_id: str, name: str, colour: str) -> str:
    return (f'<marker id="{chart_id}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" '
            f'markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')


@dataclass(frozen=True)
class Arc:
    """One move of the graph as drawn: a cubic curve from ``start`` to ``end`` (a straight line when both control
    points lie on it), in SVG coordinates (y grows downwards), with where its label goes."""

    edge: PerformanceEdge
    rank: int
    forward: bool
    start: tuple[float, float]
    control1: tuple[float, float]
    control2: tuple[float, float]
    end: tuple[float, float]
    label: tuple[float, float]
    anchor: str
    stroke: float

    @property
    def colour(self) -> str:
        return FORWARD if self.forward else BACKWARD


@dataclass(frozen=True)
class Layout:
    """Where everything goes: arcs ranked by frequency (most frequent first), one node box per moment."""

    arcs: list[Arc]
    nodes: list[tuple[str, float]]
    """(moment key, top y of its box), in journey order."""
    height: float


def _arc_geometry(i: int, j: int, span_rank: int) -> tuple[tuple[float, float], ...]:
    """start, control1, control2, end and the label's place of a move from row i to row j."""
    if j == i + 1:
        x = WIDTH / 2
        top, bottom = float(TOP + i * ROW + NODE_H), float(TOP + j * ROW) - 2
        return (x, top), (x, top), (x, bottom), (x, bottom), (x + 8, (top + bottom + 2) / 2 + 4)
    y1, y2 = _centre_y(i), _centre_y(j)
    forward = j > i
    side = NODE_X + NODE_W if forward else NODE_X
    bulge = 26.0 + 14 * span_rank
    cx = side + bulge if forward else side - bulge
    label_x = side + 0.75 * bulge + 4 if forward else side - 0.75 * bulge - 4
    return (side, y1), (cx, y1), (cx, y2), (side, y2), (label_x, (y1 + y2) / 2 + 4)


def layout(edges: Sequence[PerformanceEdge], moments: Sequence[str]) -> Layout:
    """The graph of ``edges`` (moment keys) over ``moments`` in journey order, laid out; moves between moments
    outside ``moments`` (another model's keys) and moves to the same moment are left out."""
    order = {m: k for k, m in enumerate(moments)}
    kept = sorted((e for e in edges if e.source in order and e.target in order and e.source != e.target),
                  key=lambda e: (-e.frequency, order[e.source], order[e.target]))
    total = max((e.frequency for e in kept), default=0)
    spans: dict[tuple[bool, int], int] = {}
    arcs = []
    for rank, edge in enumerate(kept, start=1):
        i, j = order[edge.source], order[edge.target]
        forward = j > i
        # Longer jumps bulge further out, so arcs of different lengths do not lie on top of each other.
        span_rank = spans.setdefault((forward, abs(j - i)), abs(j - i))
        start, c1, c2, end, label = _arc_geometry(i, j, span_rank)
        stroke = 1.2 + (MAX_STROKE - 1.2) * edge.frequency / total if total else 1.2
        arcs.append(Arc(edge, rank, forward, start, c1, c2, end, label,
                        "start" if forward or j == i + 1 else "end", stroke))
    nodes = [(moment, float(TOP + k * ROW)) for k, moment in enumerate(moments)]
    return Layout(arcs, nodes, TOP * 2 + ROW * (len(moments) - 1) + NODE_H)


def _svg_path(arc: Arc) -> str:
    (x1, y1), (ax, ay), (bx, by), (x2, y2) = arc.start, arc.control1, arc.control2, arc.end
    if (ax, ay) == (x1, y1) and (bx, by) == (x2, y2):
        return f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
    return f"M{x1:.1f},{y1:.1f} C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {x2:.1f},{y2:.1f}"


def moment_graph(edges: Sequence[PerformanceEdge], moments: Sequence[str], names: Mapping[str, str],
                 labels: MapLabels, duration: Callable[[float], str], number: Callable[[int], str], *,
                 chart_id: str = "process-map", shown: int = DEFAULT_SHOWN) -> Markup:
    """The moment-level directly-follows graph of ``edges`` (moment keys) over ``moments`` in journey order.
    Moves between moments outside ``moments`` (another model's keys) are left out."""
    drawn = layout(edges, moments)
    kept = [arc.edge for arc in drawn.arcs]
    parts = [f'<svg class="chart-svg process-map-svg" viewBox="0 0 {WIDTH} {drawn.height:g}" width="100%" '
             f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(labels.title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(labels.description)}</desc>',
             f'<defs>{_marker(chart_id, "fwd", FORWARD)}{_marker(chart_id, "back", BACKWARD)}</defs>']
    for arc in drawn.arcs:
        edge = arc.edge
        hidden = ' style="display:none"' if arc.rank > shown else ""
        text = arc_text(edge, duration, number)
        tooltip = (f"{names.get(edge.source, edge.source)} → {names.get(edge.target, edge.target)}: "
                   f"{number(edge.frequency)} {labels.moves}, {labels.median} {duration(edge.median_s)}")
        parts.append(
            f'<g class="process-arc" data-rank="{arc.rank}" data-source="{escape(edge.source)}" '
            f'data-target="{escape(edge.target)}" data-frequency="{edge.frequency}"{hidden}>'
            f'<title>{escape(tooltip)}</title>'
            f'<path d="{_svg_path(arc)}" fill="none" stroke="{arc.colour}" stroke-opacity="0.75" '
            f'stroke-width="{arc.stroke:.1f}" marker-end="url(#{chart_id}-{"fwd" if arc.forward else "back"})"/>'
            f'<text x="{arc.label[0]:.1f}" y="{arc.label[1]:.1f}" font-size="11" fill="#1f2937" '
            f'text-anchor="{arc.anchor}">{escape(text)}</text></g>')
    for moment, y in drawn.nodes:
        parts.append(f'<g class="process-node" data-moment="{escape(moment)}">'
                     f'<rect x="{NODE_X:.1f}" y="{y:g}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{NODE_FILL}" '
                     f'stroke="{NODE_STROKE}"/>'
                     f'<text x="{WIDTH / 2:.1f}" y="{y + NODE_H / 2 + 4:.1f}" text-anchor="middle" font-size="12" '
                     f'fill="{NODE_TEXT}">{escape(short(names.get(moment, moment)))}</text></g>')
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


def arc_text(edge: PerformanceEdge, duration: Callable[[float], str], number: Callable[[int], str]) -> str:
    """The label on an arc: how many moves and their median time."""
    return f"{number(edge.frequency)} · {duration(edge.median_s)}"


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
