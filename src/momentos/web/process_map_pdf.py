"""The process map in the map's PDF: the same layout as the page's SVG (``process_map.layout``), drawn with
reportlab's graphics, then the most common variants as a table.

The drawing is the SVG's coordinates turned upside down (reportlab's y grows upwards) and scaled to the room left on
the page. The standard PDF fonts know no "→", so the variants' moments are joined with "›".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Group, Path, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from momentos.web.process_map import (
    NODE_FILL,
    NODE_H,
    NODE_STROKE,
    NODE_TEXT,
    NODE_W,
    NODE_X,
    WIDTH,
    Arc,
    ProcessMapData,
    arc_text,
    layout,
    short,
)

HEADING = ParagraphStyle("process-heading", fontName="Helvetica-Bold", fontSize=12, leading=15,
                         spaceAfter=1.5 * mm)
NOTE = ParagraphStyle("process-note", fontName="Helvetica", fontSize=7.5, leading=9.5,
                      textColor=colors.HexColor("#374151"), spaceAfter=2 * mm)
TABLE_STYLE: list[tuple[object, ...]] = [
    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#cbd5e1")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
"""The look of the PDF's tables (the map's and the paths'): a thin grid, a shaded header row."""
CELL = ParagraphStyle("process-cell", fontName="Helvetica", fontSize=7.5, leading=9.5)
HEAD = ParagraphStyle("process-head", parent=CELL, fontName="Helvetica-Bold")
ARROW_HEAD = 5.0
"""The arrow head's length beyond the arc's stroke width (as the SVG's markers, a wide arc gets a wide head)."""
Point = tuple[float, float]
HEADING_ROOM = 22 * mm
"""Height kept for the heading and the note above the drawing."""


def process_map_flowables(data: ProcessMapData, width: float, height: float) -> list[Flowable]:
    """A new page with the process map drawn to fit ``width`` × ``height`` (the page's frame), then its variants."""
    flowables: list[Flowable] = [PageBreak(), Paragraph(escape(data.labels.title), HEADING),
                                 Paragraph(escape(data.labels.description), NOTE)]
    drawing = map_drawing(data)
    if drawing is None:
        flowables.append(Paragraph(escape(data.labels.no_moves), CELL))
    else:
        scale = min(1.0, width / drawing.width, (height - HEADING_ROOM) / drawing.height)
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
        flowables.append(drawing)
    if data.variants:
        flowables += [Spacer(1, 4 * mm), KeepTogether([Paragraph(escape(data.labels.variants), HEADING),
                                                       variant_table(data, width)])]
    return flowables


def map_drawing(data: ProcessMapData) -> Drawing | None:
    """The directly-follows graph as a reportlab drawing; None when no process moved between moments."""
    drawn = layout(data.edges, data.moments)
    if not drawn.arcs:
        return None
    drawing = Drawing(WIDTH, drawn.height)

    def flip(point: Point) -> Point:
        return point[0], drawn.height - point[1]

    for arc in reversed(drawn.arcs):  # the most frequent drawn last, on top
        drawing.add(_arc(arc, flip, arc_text(arc.edge, data.duration, data.number)))
    for moment, top in drawn.nodes:
        drawing.add(Rect(NODE_X, drawn.height - top - NODE_H, NODE_W, NODE_H, rx=6, ry=6,
                         fillColor=colors.HexColor(NODE_FILL), strokeColor=colors.HexColor(NODE_STROKE)))
        drawing.add(String(WIDTH / 2, drawn.height - top - NODE_H / 2 - 4, short(data.names.get(moment, moment)),
                           fontName="Helvetica", fontSize=12, fillColor=colors.HexColor(NODE_TEXT),
                           textAnchor="middle"))
    return drawing


def _arc(arc: Arc, flip: Callable[[Point], Point], text: str) -> Group:
    colour = colors.HexColor(arc.colour)
    (x1, y1), (ax, ay), (bx, by), (x2, y2) = (flip(p) for p in (arc.start, arc.control1, arc.control2, arc.end))
    path = Path(strokeColor=colour, strokeWidth=arc.stroke, fillColor=None, strokeOpacity=0.75)
    path.moveTo(x1, y1)
    path.curveTo(ax, ay, bx, by, x2, y2)
    # The arrow head points along the curve's last tangent (from the second control point, or the start).
    dx, dy = (x2 - bx, y2 - by) if (bx, by) != (x2, y2) else (x2 - x1, y2 - y1)
    angle = math.atan2(dy, dx)
    size = ARROW_HEAD + arc.stroke
    back = [(x2 - size * math.cos(angle + turn), y2 - size * math.sin(angle + turn))
            for turn in (0.45, -0.45)]
    head = Polygon([x2, y2, *back[0], *back[1]], fillColor=colour, strokeColor=None)
    lx, ly = flip(arc.label)
    label = String(lx, ly, text, fontName="Helvetica", fontSize=10, fillColor=colors.HexColor("#1f2937"),
                   textAnchor=arc.anchor)
    return Group(path, head, label)


def variant_table(data: ProcessMapData, width: float) -> Table:
    """The most common paths: the moments in order, how many processes took each, and their share."""
    rows: list[list[Paragraph]] = [[Paragraph(escape(data.labels.variants), HEAD),
                                    Paragraph(escape(data.labels.processes.capitalize()), HEAD),
                                    Paragraph(escape(data.labels.share), HEAD)]]
    for variant in data.variants:
        path = " › ".join(data.names.get(m, m) for m in variant.variant)
        rows.append([Paragraph(escape(path), CELL), Paragraph(escape(data.number(variant.count)), CELL),
                     Paragraph(escape(data.percent(100 * variant.share)), CELL)])
    figures = 28 * mm
    table = Table(rows, colWidths=[width - 2 * figures, figures, figures], repeatRows=1)
    table.setStyle(TableStyle(TABLE_STYLE))
    return table
