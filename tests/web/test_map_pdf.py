"""The map's PDF layout on its own: what is read back from the page's HTML, and that it lands in the PDF's text."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from momentos.web.map_pdf import read_map_page, render_pdf

PAGE = """<!doctype html><html><body><nav><p class="muted">Not the map</p></nav><main>
<h1>Journey map: Tienda <span class="badge">Bajo contacto</span></h1><p class="lead">Moments as columns</p>
<form class="filters"><button>Aplicar</button></form><p class="muted small">Modelo de ciclo: 8 momentos</p>
<p class="map-summary small" data-map-summary><span>Periodo: Todo el periodo</span> · <span>Canal: Web</span></p>
<div class="map-tools"><button>Descargar PNG</button></div>
<table class="table journey-map"><caption>Map</caption>
<thead><tr><th>Fila</th><th><span>1</span> Estímulo previo</th><th><span>2</span> Compra</th></tr></thead>
<tbody><tr><th>Alcance</th><td>137<svg><rect></rect></svg></td>
<td>31 %<br><span><a>42 avanzaron</a> · 95 no</span></td></tr>
<tr><th>Puntos</th><td><p class="tp">Web<br>Anuncio &amp; <b>más</b></p><p class="tp">Correo</p></td><td>—</td></tr>
<tr><th>Promesas</th><td colspan="2" class="muted">Sin configurar</td></tr></tbody></table>
<p class="card-foot"><a>Configuración</a></p></main></body></html>"""


def test_the_map_is_read_back_from_the_page_with_its_line_breaks_and_spans() -> None:
    sheet = read_map_page(PAGE)
    assert sheet.title == "Journey map: Tienda Bajo contacto"
    assert sheet.lines == ["Modelo de ciclo: 8 momentos", "Periodo: Todo el periodo · Canal: Web"]
    assert sheet.rows == [
        [("Fila", 1), ("1 Estímulo previo", 1), ("2 Compra", 1)],
        [("Alcance", 1), ("137", 1), ("31 %\n42 avanzaron · 95 no", 1)],
        [("Puntos", 1), ("Web\nAnuncio & más\nCorreo", 1), ("—", 1)],
        [("Promesas", 1), ("Sin configurar", 2)],
    ]


def test_the_pdf_holds_the_heading_lines_and_every_cell() -> None:
    pdf = render_pdf(read_map_page(PAGE))
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    text = re.sub(r"\s+", " ", page.extract_text())
    for expected in ("Journey map: Tienda Bajo contacto", "Periodo: Todo el periodo · Canal: Web", "Estímulo previo",
                     "Alcance 137 31 % 42 avanzaron · 95 no", "Anuncio & más", "Sin configurar"):
        assert expected in text, expected
    for left_out in ("Not the map", "Aplicar", "Descargar PNG", "Configuración", "Moments as columns"):
        assert left_out not in text, left_out
