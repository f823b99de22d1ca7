"""Conformance on the pages (issue #18): the journey map's conformance row (rate per moment; the number of
processes that deviated opens them), the service's conformance page (deviation kinds by impact, in words, with
their moments, channels and processes) and the customer view (this process deviated here) — in headless Chromium,
es and en, phone and desktop, with axe; and the data behind them on both databases.

The seed: ana skips consideration (awareness → first contact → purchase), bea goes back from purchase to
awareness, carl does something no touchpoint plans (by email, in purchase) and skips first contact and
consideration, dee follows the design (awareness → first contact). The offline report has a conformance section.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.dashboard import drill, journey_map
from momentos.dashboard.conformance_view import conformance_view
from momentos.dashboard.filters import MapFilters
from momentos.db import unit_of_work
from momentos.models import Customer, Process
from momentos.web.report import render_report
from tests.conftest import LiveServer, OrgHandle, make_org
from tests.factories import event, make_service, send
from tests.web.dashboard_helpers import axe_source, serious_violations
from tests.web.test_pages import sign_in

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
WORDS = {"es": {"skipped": "Se saltó un momento", "backward": "Volvió atrás", "unplanned": "Actividad no prevista",
                "deviated": "con desviación", "email": "Correo electrónico", "consideration": "Búsqueda y evaluación"},
         "en": {"skipped": "Skipped a moment", "backward": "Went back", "unplanned": "Unplanned activity",
                "deviated": "deviated", "email": "Email", "consideration": "Search and evaluation"}}


def seed(session: Session, org_id: int) -> None:
    make_service(session, org_id, key="shop")
    send(session, org_id,
         event("ana", "ad_clicked", 0), event("ana", "signed_up", 5), event("ana", "order_placed", 10),
         event("bea", "order_placed", 1), event("bea", "ad_clicked", 20),
         event("carl", "ad_clicked", 2), event("carl", "order_placed", 3),
         event("carl", "note_written", 4, service="shop", channel="email"),
         event("dee", "ad_clicked", 3), event("dee", "signed_up", 6))


def _process_of(session: Session, org_id: int, customer: str) -> int:
    return int(session.scalar(select(Process.id).join(Customer, Customer.id == Process.customer_id)
                              .where(Process.org_id == org_id, Customer.external_id == customer)))


def test_the_map_row_the_page_and_the_drill_downs_agree(db: Session) -> None:
    org = make_org(db)
    seed(db, org.id)
    ana, bea, carl = (_process_of(db, org.id, c) for c in ("ana", "bea", "carl"))
    m = journey_map.journey_map(db, org.id, "shop", MapFilters(), rows={})
    assert m.conformance is not None
    consideration = m.conformance["consideration"]
    assert (consideration.processes, consideration.rate) == (2, 0.0)  # ana and carl skipped it
    assert consideration.deviated.value == 2 and consideration.deviated.drill == "deviated"
    assert m.conformance["loyalty"].processes == 0 and m.conformance["loyalty"].deviated.drill is None
    cell = drill.drill(db, org.id, "shop", MapFilters(), "consideration", "deviated")
    assert [r.process_id for r in cell.rows] == sorted([ana, carl])
    back = drill.drill(db, org.id, "shop", MapFilters(), drill.ALL_MOMENTS, "deviation_backward")
    assert [r.process_id for r in back.rows] == [bea]
    # A service on another journey model: in the view of the 8 contact moments the row is not shown (conformance
    # is judged against the service's own model).
    make_service(db, org.id, key="alt", touchpoints={}, journey_model="buyer-experience-6")
    assert journey_map.journey_map(db, org.id, "alt", MapFilters(view="canonical"), rows={}).conformance is None
    assert journey_map.journey_map(db, org.id, "alt", MapFilters(), rows={}).conformance is not None

    view = conformance_view(db, org.id, "shop")
    assert view.read.processes == 4 and view.read.conforming == 1
    assert [k.kind for k in view.kinds] == ["skipped", "backward", "unplanned"]  # by processes touched: 2, 1, 1
    skipped = view.kinds[0]
    assert (skipped.processes, skipped.deviations) == (2, 3)
    assert [(a.key, a.processes) for a in skipped.moments] == [("consideration", 2), ("first_contact", 1)]
    assert [(a.key, a.processes) for a in view.kinds[2].channels] == [("email", 1)]

    found = analytics.processes_deviations(db, org.id, {ana: _service(db, ana), bea: _service(db, bea)})
    assert [(x.kind, x.moment) for x in found[ana]] == [("skipped", "consideration")]
    assert [(x.kind, x.moment) for x in found[bea]] == [("backward", "awareness")]


def test_the_offline_report_has_a_conformance_section(db: Session) -> None:
    org = make_org(db)
    seed(db, org.id)
    for lang, words in WORDS.items():
        html = render_report(db, org.id, AnalyticsQuery(service="shop"), lang)
        section = html[html.index('id="sec-conformance"'):]
        assert "25 %" in section and 'data-kind="skipped"' in section
        assert words["skipped"] in section and words["unplanned"] in section and words["consideration"] in section
        assert section.index('data-kind="skipped"') < section.index('data-kind="backward"')
    assert 'id="sec-conformance"' not in render_report(db, org.id, AnalyticsQuery(), "en")  # the organization's


def _service(session: Session, process_id: int) -> int | None:
    return session.scalar(select(Process.service_id).where(Process.id == process_id))


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed(session, org.id)
    return org


@pytest.fixture
def pages_for(chromium: Browser, live_server: LiveServer, shop: OrgHandle) -> Iterator[dict[str, Page]]:
    contexts = {name: chromium.new_context(viewport=size) for name, size in VIEWPORTS.items()}
    opened = {}
    for name, context in contexts.items():
        context.set_default_timeout(15_000)
        opened[name] = context.new_page()
        sign_in(opened[name], live_server, shop.keys.admin_key)
    try:
        yield opened
    finally:
        for context in contexts.values():
            context.close()


@pytest.mark.browser
@pytest.mark.live
def test_conformance_shows_on_the_map_its_page_and_the_customer_view(
        pages_for: dict[str, Page], live_server: LiveServer, artifacts: Path, engine_name: str) -> None:
    axe = axe_source()
    for size, page in pages_for.items():
        for lang in ("es", "en"):
            words = WORDS[lang]
            page.goto(f"{live_server.url}/services/shop/map?lang={lang}")
            row = page.locator('tr[data-row="conformance"]')
            expect(row.locator('td[data-moment="consideration"] [data-figure="rate"]')).to_have_text("0 %")
            expect(row.locator('td[data-moment="awareness"] [data-figure="rate"]')).to_have_text("75 %")
            link = row.locator('td[data-moment="consideration"] a.cell-link')
            expect(link).to_have_text(f"2 {words['deviated']}")
            assert serious_violations(page, axe) == [], f"map {lang} {size}"
            link.click()
            expect(page.locator("h1")).to_contain_text(words["consideration"])
            expect(page.locator("table.drill tbody tr")).to_have_count(2)
            expect(page.locator("table.drill tbody")).to_contain_text("ana")
            expect(page.locator("table.drill tbody")).to_contain_text("carl")
            assert serious_violations(page, axe) == [], f"drill {lang} {size}"

            page.goto(f"{live_server.url}/services/shop/conformance?lang={lang}")
            expect(page.locator('[data-figure="overall"]')).to_contain_text("25 %")
            kinds = page.locator("article.deviation-kind")
            expect(kinds).to_have_count(3)
            expect(kinds.nth(0).locator("h3")).to_have_text(words["skipped"])
            expect(kinds.nth(1).locator("h3")).to_have_text(words["backward"])
            expect(kinds.nth(2).locator("h3")).to_have_text(words["unplanned"])
            expect(kinds.nth(2)).to_contain_text(words["email"])
            expect(page.locator("main")).not_to_contain_text("out_of_order")
            assert serious_violations(page, axe) == [], f"conformance {lang} {size}"
            page.screenshot(path=str(artifacts / f"conformance-{lang}-{size}-{engine_name}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORTS[size]["width"], f"conformance page overflows at {size}: {width}"
            kinds.nth(1).locator('a[data-figure="processes"]').click()
            expect(page.locator("table.drill tbody tr")).to_have_count(1)
            expect(page.locator("table.drill tbody")).to_contain_text("bea")

            page.goto(f"{live_server.url}/customers/ana?lang={lang}")
            deviations = page.locator("details.deviations")
            deviations.locator("summary").click()
            expect(deviations.locator('li[data-kind="skipped"]')).to_contain_text(words["skipped"])
            expect(deviations.locator('li[data-kind="skipped"]')).to_contain_text(words["consideration"])
            assert serious_violations(page, axe) == [], f"customer {lang} {size}"
    page = pages_for["desktop"]
    page.goto(f"{live_server.url}/services/shop/indicators?lang=en")
    page.locator('a[data-link="conformance"]').click()
    expect(page.locator("h1")).to_contain_text("Conformance")
