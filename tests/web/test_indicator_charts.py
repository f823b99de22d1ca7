"""Indicator charts in headless Chromium: the standalone HTML report (offline, es and en) and the indicators page
of a service with its filters (SQLite and PostgreSQL). Charts are checked by their drawn bars and by pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect
from sqlalchemy.orm import Session

from momentos.analytics.schemas import AnalyticsQuery
from momentos.db import unit_of_work
from momentos.web.report import write_report
from tests.analytics.scenario import load_shop
from tests.conftest import LiveServer, OrgHandle
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser]
CHARTS = ("chart-funnel", "chart-outcome", "chart-time", "chart-contacts", "chart-channels")
TITLES = {"es": ("Informe de indicadores", "Embudo a lo largo de los momentos", "Tiempo en el momento"),
          "en": ("Indicators report", "Funnel across moments", "Time in moment")}


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


def inked_pixels(png: bytes) -> int:
    """Pixels clearly darker or more coloured than the white background."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return int((pixels.min(axis=2) < 200).sum())


def assert_charts_drawn(page: Page, artifacts: Path, name: str) -> None:
    for chart in CHARTS:
        bars = page.locator(f"#{chart} svg rect.chart-bar")
        assert bars.count() > 0, chart
        widths = [b.bounding_box() for b in bars.all()]
        assert all(box is not None and box["width"] > 0 and box["height"] > 0 for box in widths), chart
        svg = page.locator(f"#{chart} svg")
        assert svg.locator("title").first.text_content()  # accessible name
        png = svg.screenshot(path=str(artifacts / f"{name}-{chart}.png"))
        assert inked_pixels(png) > 500, chart


@pytest.mark.parametrize("lang", ["es", "en"])
def test_report_opens_offline_with_drawn_charts(db: Session, org: OrgHandle, tmp_path: Path, page: Page,
                                                artifacts: Path, lang: str, engine_name: str) -> None:
    load_shop(db, org.id)
    out = tmp_path / f"report-{lang}.html"
    write_report(db, org.id, AnalyticsQuery(service="shop"), lang, out)
    html = out.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    requested: list[str] = []

    def block(route: Route) -> None:
        requested.append(route.request.url)
        route.abort()

    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else block(route))
    page.goto(out.as_uri())
    title, funnel, time_title = TITLES[lang]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.locator("html").get_attribute("lang") == lang
    expect(page.locator("#chart-funnel svg title").first).to_have_text(funnel)
    expect(page.locator("#chart-time svg title").first).to_have_text(time_title)
    assert_charts_drawn(page, artifacts, f"report-{lang}-{engine_name}")
    page.screenshot(path=str(artifacts / f"report-{lang}-{engine_name}.png"), full_page=True)
    assert requested == []  # nothing fetched from the network


@pytest.mark.live
def test_indicators_page_shows_charts_and_filters_by_channel(page: Page, live_server: LiveServer,
                                                             artifacts: Path, engine_name: str) -> None:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        load_shop(session, org.id)
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/services/shop")
    page.get_by_role("link", name="Indicadores").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Indicadores")
    assert_charts_drawn(page, artifacts, f"indicators-{engine_name}")
    reached = page.locator('#chart-funnel rect.chart-bar[data-series="Alcanzados"]')
    expect(reached).to_have_count(5)  # awareness … delivery were reached
    page.locator("select[name=channel]").select_option("email")
    page.get_by_role("button", name="Aplicar").click()
    assert "channel=email" in page.url
    expect(page.locator('#chart-funnel rect.chart-bar[data-series="Alcanzados"]')).to_have_count(1)  # shipped
    page.locator("input[name=from]").fill("2030-01-01")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.locator("#chart-funnel rect.chart-bar")).to_have_count(0)  # nothing in that period
    page.goto(f"{live_server.url}/services/shop/indicators?lang=en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Indicators")
    assert_charts_drawn(page, artifacts, f"indicators-en-{engine_name}")
