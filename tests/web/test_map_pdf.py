"""The map's PDF layout: what is read back from the page's HTML, that it lands in the PDF's text, and the process
map drawn after it."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy.orm import Session

from momentos.analytics.schemas import PerformanceEdge, VariantRead
from momentos.catalog import service as catalog
from momentos.kit import i18n
from momentos.web.map_pdf import read_map_page, render_pdf
from momentos.web.process_map import MapLabels, ProcessMapData
from tests.analytics.scenario import load_shop
from tests.conftest import OrgHandle
from tests.web.seed import sign_in

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


MOMENTS = ["awareness", "first_contact", "purchase", "support"]
NAMES = {"awareness": "Estímulo previo", "first_contact": "Primer contacto", "purchase": "Compra",
         "support": "Soporte"}
LABELS = MapLabels(title="Mapa de procesos", description="Cómo se movieron", source="Desde", target="Hasta",
                   moves="movimientos", median="mediana", variants="Caminos más comunes", processes="procesos",
                   share="Cuota", arcs_shown="Flechas", no_moves="Ningún proceso se ha movido")


def _process(edges: list[PerformanceEdge], variants: list[VariantRead]) -> ProcessMapData:
    return ProcessMapData(edges, MOMENTS, NAMES, variants, LABELS, lambda s: f"{s / 60:g} min", str,
                          lambda v: f"{v:g} %")


def _edge(source: str, target: str, frequency: int, median_s: float) -> PerformanceEdge:
    return PerformanceEdge(source=source, target=target, frequency=frequency, mean_s=median_s, median_s=median_s)


def test_the_pdf_draws_the_process_map_with_its_arcs_and_variants_on_a_page_of_its_own() -> None:
    edges = [_edge("awareness", "first_contact", 137, 600), _edge("first_contact", "purchase", 42, 1800),
             _edge("awareness", "purchase", 11, 3000), _edge("support", "first_contact", 5, 120)]
    variants = [VariantRead(variant=["awareness", "first_contact", "purchase"], count=31, share=0.62),
                VariantRead(variant=["awareness", "purchase"], count=19, share=0.38)]
    reader = PdfReader(io.BytesIO(render_pdf(read_map_page(PAGE), _process(edges, variants))))
    assert len(reader.pages) == 2
    assert "Mapa de procesos" not in reader.pages[0].extract_text()
    text = re.sub(r"\s+", " ", reader.pages[1].extract_text())
    assert "Mapa de procesos" in text and "Cómo se movieron" in text
    for name in NAMES.values():  # every moment is a node, also one without moves into it
        assert name in text, name
    for arc in ("137 · 10 min", "42 · 30 min", "11 · 50 min", "5 · 2 min"):  # frequency and median time per arc
        assert arc in text, arc
    assert "Caminos más comunes" in text
    assert "Estímulo previo › Primer contacto › Compra 31 62 %" in text
    assert "Estímulo previo › Compra 19 38 %" in text
    # drawn, not only written: a curve per arc, a filled arrow head per arc, a filled and stroked box per moment
    content = reader.pages[1].get_contents()
    assert content is not None
    ops = [op for _, op in ContentStream(content, reader).operations]
    assert ops.count(b"c") >= len(edges) and ops.count(b"f*") >= len(edges) and ops.count(b"B*") == len(MOMENTS)


def test_a_process_map_without_moves_says_so_in_the_pdf() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(read_map_page(PAGE), _process([], []))))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    assert "Ningún proceso se ha movido" in text and "Caminos más comunes" not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_downloaded_map_pdf_holds_the_services_process_map(client: TestClient, org: OrgHandle,
                                                                 db: Session, lang: str) -> None:
    load_shop(db, org.id)
    sign_in(client, org.keys.admin_key)
    r = client.get(f"/services/shop/map.pdf?lang={lang}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages[1:]))
    assert i18n.gettext(lang, "Process map") in text and i18n.gettext(lang, "Most common paths") in text
    model = catalog.get_journey_model(db, org.id, catalog.get_service(db, org.id, "shop").journey_model_key)
    names = {m.key: m.name(lang) for m in model.moments}
    for name in names.values():
        assert name in text, name
    # four customers, four paths, one process each (tests/analytics/scenario.py)
    alice = " › ".join(names[m] for m in ("awareness", "first_contact", "consideration", "purchase", "delivery"))
    for path in (f"{alice} 1 25 %", f"{names['first_contact']} 1 25 %"):
        assert path in text, path
