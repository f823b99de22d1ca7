"""The journey map's exports in headless Chromium against a real server (SQLite and PostgreSQL): "Download PNG"
draws the map into a real PNG file, the print stylesheet turns the page into a PDF with the map's numbers, and the
offline HTML report downloads with the map's filters, for the roles that may see the map only."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from momentos.db import unit_of_work
from tests.conftest import LiveServer, OrgHandle
from tests.factories import event, make_service, send
from tests.web.dashboard_helpers import add_user, sign_in_user
from tests.web.seed import seed_private

pytestmark = [pytest.mark.browser, pytest.mark.live]

SERVICE = "harbour-tours"
NAME = "Harbour-Tours"  # make_service names a service after its key
REACHED = {"awareness": 137, "first_contact": 42, "purchase": 23}
PERIOD = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


@pytest.fixture
def tours(live_server: LiveServer) -> OrgHandle:
    """137 customers saw an ad, 42 of them signed up, 23 of those bought (all on 2026-03-02, by web)."""
    org = live_server.new_org()
    activities = ("ad_clicked", "signed_up", "order_placed")
    with unit_of_work(live_server.factory) as session:
        make_service(session, org.id, key=SERVICE)
        events = [event(f"c{i:03d}", activity, step * 10 + i / 100, channel="web", service=SERVICE)
                  for i in range(REACHED["awareness"]) for step, activity in enumerate(activities)
                  if i < REACHED[("awareness", "first_contact", "purchase")[step]]]
        send(session, org.id, *events)
    return org


def _runs(mask: np.ndarray) -> list[int]:
    """The longest horizontal run of True in each line of the image."""
    runs = []
    for line in mask:
        edges = np.flatnonzero(np.diff(np.concatenate(([0], line.astype(np.int8), [0]))))
        runs.append(int((edges[1::2] - edges[::2]).max()) if len(edges) else 0)
    return runs


def _pdf_text(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages)), reader


def _reached_row(page: Page) -> str:
    """The reach row's numbers as the page shows them, in the columns' order."""
    moments = page.locator("thead th[data-moment]").evaluate_all("ths => ths.map(th => th.dataset.moment)")
    return " ".join(str(_reached(page, m)) for m in moments)


def _reached(page: Page, moment: str) -> int:
    text = page.locator(f'tr[data-row="reached"] td[data-moment="{moment}"]').inner_text()
    return int(re.sub(r"\D", "", text))


def test_download_png_saves_the_whole_map_as_a_png_for_an_analyst(
        page: Page, live_server: LiveServer, tours: OrgHandle, artifacts: Path, engine_name: str) -> None:
    sign_in_user(page, live_server, add_user(live_server, tours.id, "analyst"))
    page.goto(f"{live_server.url}/services/{SERVICE}/map?{PERIOD}&channel=web")
    assert {m: _reached(page, m) for m in REACHED} == REACHED
    button = page.get_by_role("button", name="Descargar PNG")
    expect(button).to_be_visible()
    table = page.locator("table.journey-map").bounding_box()
    assert table is not None
    button.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")  # keyboard-usable
    download = info.value
    assert re.fullmatch(rf"map-{SERVICE}-\d{{4}}-\d\d-\d\d\.png", download.suggested_filename)
    target = artifacts / f"map-export-{engine_name}.png"
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.width >= table["width"] and image.height >= table["height"]
    assert len(data) > 20_000
    pixels = np.asarray(image.convert("RGB")).astype(int)
    inked = (pixels.min(axis=2) < 200).mean()
    assert 0.02 < inked < 0.9, inked  # neither blank nor a solid block
    # the reach bars are drawn in the primary blue (#1d4ed8): the busiest moment's bar spans its column (~90 px)
    # for several lines, which no text nor link underline does
    blue = (abs(pixels[..., 0] - 0x1D) < 12) & (abs(pixels[..., 1] - 0x4E) < 12) & (abs(pixels[..., 2] - 0xD8) < 12)
    assert sum(run >= 85 for run in _runs(blue)) >= 3
    expect(page.get_by_role("status")).to_have_text("")  # no error shown
    expect(button).to_be_enabled()
    # on a phone the map scrolls sideways, but the image still holds all of it
    page.set_viewport_size({"width": 390, "height": 844})
    with page.expect_download() as info:
        button.click()
    phone = Image.open(info.value.path())
    table = page.locator("table.journey-map").bounding_box()
    assert table is not None and table["width"] > 390
    assert phone.width >= table["width"] and phone.height >= table["height"]


def test_export_buttons_appear_only_with_javascript_and_the_report_link_always(
        chromium: Browser, live_server: LiveServer, tours: OrgHandle) -> None:
    context = chromium.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_user(page, live_server, add_user(live_server, tours.id, "analyst"))
        page.goto(f"{live_server.url}/services/{SERVICE}/map?{PERIOD}&channel=web&view=canonical")
        expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
        expect(page.get_by_role("button", name="Download PNG")).to_be_hidden()
        expect(page.get_by_role("button", name="Print")).to_be_hidden()
        query = "start=2026-03-01&end=2026-03-31&channel=web&view=canonical"
        for name, path in (("Offline report (HTML)", "report.html"), ("Download PDF", "map.pdf")):
            link = page.get_by_role("link", name=name)
            expect(link).to_be_visible()
            assert link.get_attribute("href") == f"/services/{SERVICE}/{path}?{query}"
    finally:
        context.close()


def test_the_printed_map_is_a_landscape_pdf_with_the_service_filters_and_numbers(
        page: Page, live_server: LiveServer, tours: OrgHandle, artifacts: Path, engine_name: str) -> None:
    sign_in_user(page, live_server, add_user(live_server, tours.id, "manager"))
    page.goto(f"{live_server.url}/services/{SERVICE}/map?{PERIOD}")
    # the button opens the browser's print dialog
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Imprimir").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    for hidden in (".topbar", ".orgbar", "nav.breadcrumb", "form.filters", ".map-tools", ".footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("table.journey-map")).to_be_visible()
    table = page.locator("table.journey-map").bounding_box()
    assert table is not None
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts / f"map-print-{engine_name}.pdf").write_bytes(pdf)
    text, reader = _pdf_text(pdf)
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)  # landscape
    assert "Mapa del recorrido: Harbour-Tours" in text
    assert "Periodo: 2026-03-01 – 2026-03-31 · Canal: Todos los canales" in text  # the filters
    assert "Generado:" in text
    reached = _reached_row(page)
    assert reached.startswith("137 42 0 23 ")
    assert f"Alcance (procesos que entraron) {reached}" in text
    for control in ("Iniciar sesión", "Aplicar", "Descargar PNG", "Imprimir"):
        assert control not in text
    assert len(reader.pages) == 1  # this map fits on one page, every moment's column and every row


def test_the_offline_report_downloads_with_the_map_period_for_readers_only(
        page: Page, live_server: LiveServer, tours: OrgHandle) -> None:
    other = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_private(session, other.id)
    sign_in_user(page, live_server, add_user(live_server, tours.id, "analyst"))
    page.goto(f"{live_server.url}/services/{SERVICE}/map?{PERIOD}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Informe sin conexión (HTML)").click()
    download = info.value
    assert re.fullmatch(rf"report-{SERVICE}-\d{{4}}-\d\d-\d\d\.html", download.suggested_filename)
    html = Path(download.path()).read_text(encoding="utf-8")
    assert 'id="chart-funnel"' in html and NAME in html and "Informe de indicadores" in html
    assert "1 mar 2026 – 31 mar 2026" in html  # the map's period is the report's
    assert "<script" not in html
    external = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert external == [], external  # self-contained: nothing to fetch
    assert "Estímulo previo · Alcanzados: 137</title>" in html  # the funnel's real figures
    assert "Decisión y compra · Alcanzados: 23</title>" in html
    # another period: nothing reached
    empty = page.context.request.get(f"{live_server.url}/services/{SERVICE}/report.html?start=2030-01-01")
    assert empty.status == 200 and "Alcanzados: 137" not in empty.text()
    # another organization's service is not found; an agent may not read the map nor its report
    assert page.context.request.get(f"{live_server.url}/services/secret-shop/report.html").status == 404
    assert page.context.request.get(f"{live_server.url}/services/secret-shop/map").status == 404
    page.context.clear_cookies()
    sign_in_user(page, live_server, add_user(live_server, tours.id, "agent"))
    r = page.context.request.get(f"{live_server.url}/services/{SERVICE}/report.html", max_redirects=0)
    assert r.status == 403
    assert "chart-funnel" not in r.text()


def test_download_pdf_gives_the_map_as_a_pdf_file_with_its_filters_and_numbers(
        page: Page, live_server: LiveServer, tours: OrgHandle, artifacts: Path, engine_name: str) -> None:
    other = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_private(session, other.id)
    sign_in_user(page, live_server, add_user(live_server, tours.id, "analyst"))
    page.goto(f"{live_server.url}/services/{SERVICE}/map?{PERIOD}&channel=web&lang=en")
    reached = _reached_row(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert re.fullmatch(rf"map-{SERVICE}-\d{{4}}-\d\d-\d\d\.pdf", download.suggested_filename)
    pdf = Path(download.path()).read_bytes()
    (artifacts / f"map-download-{engine_name}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    text, reader = _pdf_text(pdf)
    assert float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)  # landscape
    assert reader.metadata is not None and reader.metadata.title == f"Journey map: {NAME} Low contact"
    assert f"Journey map: {NAME}" in text
    assert ("Period: 2026-03-01 – 2026-03-31 · Channel: Web · Customer segment: All customers · "
            "Moments: The service's journey model") in text
    assert reached.startswith("137 42 0 23 ")
    assert f"Reach (processes that entered) {reached}" in text
    assert "42 moved on" in text and "Not configured" in text
    assert "Download PNG" not in text and "Apply" not in text  # the page's controls are not part of the map
    # the filters change the figures; another organization's service is not found; an agent may not read it
    r = page.context.request.get(f"{live_server.url}/services/{SERVICE}/map.pdf?start=2030-01-01&lang=en")
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    assert f"Reach (processes that entered) {' '.join(['0'] * 8)}" in _pdf_text(r.body())[0]
    assert page.context.request.get(f"{live_server.url}/services/secret-shop/map.pdf").status == 404
    page.context.clear_cookies()
    sign_in_user(page, live_server, add_user(live_server, tours.id, "agent"))
    r = page.context.request.get(f"{live_server.url}/services/{SERVICE}/map.pdf", max_redirects=0)
    assert r.status == 403 and not r.body().startswith(b"%PDF")
