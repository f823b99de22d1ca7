"""The outcome split (moved on / still here / dropped) on the journey map, the indicators page, the overview funnel
and the offline report, in headless Chromium: es and en, phone and desktop, with axe.

The seed makes a moment where the difference matters: six customers left awareness after 10 minutes (its usual
time), one entered it 2 minutes ago (still here) and one 2 hours ago (dropped). Counting the in-progress one as
dropped would show 2 dropped: every page must show 1 and 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.analytics.schemas import AnalyticsQuery
from momentos.db import unit_of_work
from momentos.events.schemas import EventIn
from momentos.kit.clock import utcnow
from momentos.web.report import write_report
from tests.conftest import LiveServer, OrgHandle
from tests.factories import make_service, send
from tests.web.dashboard_helpers import axe_source, serious_violations
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
WORDS = {"es": ("avanzaron", "siguen aquí", "abandonaron"), "en": ("moved on", "still here", "dropped")}


def _seed(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    now = utcnow()

    def at(customer: str, activity: str, minutes_ago: float) -> EventIn:
        return EventIn(customer=customer, activity=activity, service="shop",
                       timestamp=now - timedelta(minutes=minutes_ago), message_id=f"{customer}-{activity}")

    events = [e for i in range(6) for e in (at(f"passer{i}", "ad_clicked", 180), at(f"passer{i}", "signed_up", 170))]
    events += [at("fresh", "ad_clicked", 2), at("stale", "ad_clicked", 120)]
    with unit_of_work(live_server.factory) as session:
        make_service(session, org.id, key="shop")
        send(session, org.id, *events)
    return org


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


def _awareness_split(cell_text: str) -> None:
    assert cell_text.split() == ["6", "1", "1"], cell_text


@pytest.fixture
def pages_for(chromium: Browser, live_server: LiveServer) -> Iterator[dict[str, Page]]:
    key = _seed(live_server).keys.admin_key
    contexts = {name: chromium.new_context(viewport=size, bypass_csp=True) for name, size in VIEWPORTS.items()}
    opened = {}
    for name, context in contexts.items():
        context.set_default_timeout(15_000)
        opened[name] = context.new_page()
        sign_in(opened[name], live_server, key)
    try:
        yield opened
    finally:
        for context in contexts.values():
            context.close()


def test_pages_show_in_progress_processes_as_still_here_not_dropped(
        pages_for: dict[str, Page], live_server: LiveServer, artifacts: Path, engine_name: str) -> None:
    axe = axe_source()
    for size, page in pages_for.items():
        for lang in ("es", "en"):
            moved, still, dropped = WORDS[lang]
            page.goto(f"{live_server.url}/services/shop/map?lang={lang}")
            cell = page.locator('tr[data-row="outcome"] td[data-moment="awareness"]')
            expect(cell.locator('[data-outcome="moved_on"]')).to_contain_text(f"6 {moved}")
            expect(cell.locator('[data-outcome="still_here"]')).to_contain_text(f"1 {still}")
            expect(cell.locator('[data-outcome="dropped"]')).to_contain_text(f"1 {dropped}")
            assert serious_violations(page, axe) == [], f"map {lang} {size}"
            page.screenshot(path=str(artifacts / f"outcome-map-{lang}-{size}-{engine_name}.png"), full_page=True)

            page.goto(f"{live_server.url}/services/shop/indicators?lang={lang}")
            row = page.locator('table[data-table="outcome"] tr[data-moment="awareness"]')
            _awareness_split(" ".join(row.locator(f'td[data-figure="{k}"]').inner_text().split()[0]
                                      for k in ("moved_on", "still_here", "dropped")))
            assert page.locator("#chart-outcome svg rect.chart-bar").count() > 0
            assert serious_violations(page, axe) == [], f"indicators {lang} {size}"

            page.goto(f"{live_server.url}/overview?lang={lang}")
            service = page.locator('section[data-service="shop"]')
            bars = service.locator('figure[data-chart="funnel"] svg g[data-moment="awareness"] rect[fill]')
            expect(bars).to_have_count(4)  # the track and the three segments
            _awareness_split(" ".join(service.locator(f'tr[data-moment="awareness"] td[data-figure="{k}"]')
                                      .inner_text() for k in ("moved_on", "still_here", "dropped")))
            assert serious_violations(page, axe) == [], f"overview {lang} {size}"
            page.screenshot(path=str(artifacts / f"outcome-overview-{lang}-{size}-{engine_name}.png"),
                            full_page=True)
    page = pages_for["desktop"]
    page.goto(f"{live_server.url}/services/shop/map?lang=en")
    page.locator('tr[data-row="outcome"] td[data-moment="awareness"] [data-outcome="still_here"] a').click()
    expect(page.locator("table.drill tbody tr")).to_have_count(1)
    expect(page.locator("table.drill tbody")).to_contain_text("fresh")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_report_shows_the_outcome_split(live_server: LiveServer, chromium: Browser, tmp_path: Path,
                                        lang: str) -> None:
    org = _seed(live_server)
    out = tmp_path / f"report-{lang}.html"
    with unit_of_work(live_server.factory) as session:
        write_report(session, org.id, AnalyticsQuery(service="shop"), lang, out)
    context = chromium.new_context(viewport=VIEWPORTS["phone"])
    try:
        page = context.new_page()
        page.goto(out.as_uri())
        row = page.locator('table[data-table="outcome"] tr[data-moment="awareness"]')
        _awareness_split(" ".join(row.locator(f'td[data-figure="{k}"]').inner_text().split()[0]
                                  for k in ("moved_on", "still_here", "dropped")))
        expect(page.locator("#sec-outcome")).to_contain_text(WORDS[lang][1], ignore_case=True)
    finally:
        context.close()
