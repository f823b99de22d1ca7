"""The journey map as a PDF file, drawn on the server from the map page's own HTML.

The page is rendered once (templates/map.html); its heading, filters summary and table are read back from that HTML
and laid out with reportlab, so the PDF shows the very texts and numbers of the page without a second formatting of
them. A4 landscape; the header row repeats on every page. The service's process map (the moments' directly-follows
graph and its variants, web/process_map_pdf.py) follows on a page of its own.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree
from lxml import html as lxml_html
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from momentos.web.process_map import ProcessMapData
from momentos.web.process_map_pdf import TABLE_STYLE, process_map_flowables

MARGIN = 10 * mm
ROW_HEAD_WIDTH = 34 * mm
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=14, leading=17, spaceAfter=2 * mm)
LINE = ParagraphStyle("line", fontName="Helvetica", fontSize=8, leading=10, textColor=colors.HexColor("#374151"))
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=6.5, leading=8)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")


@dataclass(frozen=True)
class MapSheet:
    """What the PDF shows, as the page shows it: heading, lines under it, and the table's rows of cell texts."""

    title: str
    lines: list[str]
    rows: list[list[tuple[str, int]]]
    """Each cell as (text, columns spanned); the first row is the header."""


def read_map_page(page_html: str) -> MapSheet:
    doc = lxml_html.document_fromstring(page_html)
    main = next(doc.iter("main"))
    for br in main.iter("br"):
        br.tail = "\n" + (br.tail or "")
    table = next(t for t in main.iter("table") if "journey-map" in _classes(t))
    for p in table.iter("p"):
        p.tail = "\n" + (p.tail or "")
    lines = [_text(p) for p in main.iterchildren("p")
             if "muted" in _classes(p) or p.get("data-map-summary") is not None]
    rows = [[(_text(cell), int(cell.get("colspan") or "1")) for cell in tr.iterchildren("th", "td")]
            for section in table.iterchildren("thead", "tbody") for tr in section.iterchildren("tr")]
    return MapSheet(_text(next(main.iter("h1"))), [line for line in lines if line], rows)


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _text(element: etree._Element) -> str:
    lines = (" ".join(line.split()) for line in "".join(str(t) for t in element.itertext()).split("\n"))
    return "\n".join(line for line in lines if line)


def render_pdf(sheet: MapSheet, process: ProcessMapData | None = None) -> bytes:
    """The sheet as a PDF; with ``process``, the process map and its variants follow on a page of their own."""
    out = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=sheet.title, author="Momentos")
    width, height = page[0] - 2 * MARGIN, page[1] - 2 * MARGIN
    doc.build([Paragraph(_markup(sheet.title), TITLE), *(Paragraph(_markup(line), LINE) for line in sheet.lines),
               Spacer(1, 3 * mm), _table(sheet.rows, width),
               *(process_map_flowables(process, width, height) if process else [])])
    return out.getvalue()


def _table(rows: list[list[tuple[str, int]]], width: float) -> Table:
    columns = max(sum(span for _, span in row) for row in rows)
    data: list[list[Paragraph | str]] = []
    spans = []
    for r, row in enumerate(rows):
        line: list[Paragraph | str] = []
        for c, (text, span) in enumerate(row):
            line.append(Paragraph(_markup(text), HEAD if r == 0 or c == 0 else CELL))
            if span > 1:
                spans.append(("SPAN", (len(line) - 1, r), (len(line) + span - 2, r)))
                line.extend([""] * (span - 1))
        data.append(line + [""] * (columns - len(line)))
    other = (width - ROW_HEAD_WIDTH) / max(columns - 1, 1)
    table = Table(data, colWidths=[ROW_HEAD_WIDTH] + [other] * (columns - 1), repeatRows=1)
    table.setStyle(TableStyle([*TABLE_STYLE, *spans]))
    return table


def _markup(text: str) -> str:
    """Plain text as reportlab paragraph markup (escaped; line breaks kept)."""
    return escape(text).replace("\n", "<br/>")


def map_pdf(page_html: str, process: ProcessMapData | None = None) -> bytes:
    """The map page's HTML (as rendered for the browser) as an A4 landscape PDF, then the service's process map."""
    return render_pdf(read_map_page(page_html), process)
