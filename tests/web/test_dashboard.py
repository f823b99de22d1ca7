"""The dashboard in headless Chromium against a real server: the end-to-end flow of a manager, what each role may
not do, the demo organization's real numbers, screenshots in Spanish and English, and axe-core's accessibility
checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.catalog import service as catalog
from momentos.customers.service import get_customer
from momentos.db import unit_of_work
from momentos.demo.loader import load_demo
from momentos.kit.clock import utcnow
from momentos.notify import outbox
from momentos.orgs.service import get_organization
from momentos.users import service as users
from tests.conftest import LiveServer, OrgHandle
from tests.factories import REACTIONS, T0
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of, seed_journeys

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    return org


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


def _cell(page: Page, row: str, moment: str) -> str:
    return page.locator(f'tr[data-row="{row}"] td[data-moment="{moment}"]').inner_text()


def _count(text: str) -> int:
    return int(re.match(r"\s*([\d.,]+)", text).group(1).replace(".", "").replace(",", ""))  # type: ignore[union-attr]


def test_manager_configures_the_level_ingests_sees_the_map_move_and_why_a_customer_was_not_contacted(
        page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "manager")
    page.goto(f"{live_server.url}/overview")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resumen")
    # the contact level through the guided questionnaire: low → high, explained
    page.goto(f"{live_server.url}/config/services/shop")
    expect(page.locator("#level .badge, h1 .badge").first).to_have_text("Bajo contacto")
    for name, value in (("presence", "full"), ("participation", "active"), ("duration", "long"),
                        ("people", "face_to_face")):
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator('input[name="facility"]').check()
    page.get_by_role("button", name="Guardar la evaluación").click()
    expect(page.locator("h1 .badge")).to_have_text("Alto contacto")
    expect(page.locator("#level")).to_contain_text("El cliente participa activamente con el personal.")
    # the map before and after events arrive through the real API
    page.goto(f"{live_server.url}/services/shop/map")
    before = _count(_cell(page, "reached", "purchase"))
    events = [{"message_id": f"zoe-{i}", "customer": "zoe", "activity": a, "channel": "web",
               "timestamp": (T0 + timedelta(minutes=10 * i)).isoformat()}
              for i, a in enumerate(("ad_clicked", "signed_up", "order_placed"))]
    r = httpx.post(f"{live_server.url}/api/v1/events", json={"events": events}, headers=shop.writer)
    assert r.status_code == 200, r.text
    r = httpx.post(f"{live_server.url}/api/v1/contacts", headers=shop.admin, json={
        "customer": "zoe", "purpose": "marketing", "subject": "Oferta", "text": "Hola"})
    assert r.status_code == 202, r.text
    page.reload()
    expect(page.locator('tr[data-row="reached"] td[data-moment="purchase"] a')).to_have_text(str(before + 1))
    # drill into the cell, open the customer, see why they were not contacted
    page.locator('tr[data-row="reached"] td[data-moment="purchase"] a').click()
    expect(page.locator('[data-figure="total"]')).to_contain_text(str(before + 1))
    page.get_by_role("link", name="zoe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("zoe")
    decision = page.locator("table.decisions tbody tr").first
    expect(decision).to_have_attribute("data-outcome", "suppress")
    expect(decision).to_contain_text("Marketing")
    expect(decision.locator(".reasons-list li").first).not_to_be_empty()


def test_an_analyst_reads_everything_but_changes_nothing(page: Page, live_server: LiveServer,
                                                          shop: OrgHandle) -> None:
    sign_in_user(page, live_server, add_user(live_server, shop.id, "analyst"))
    page.goto(f"{live_server.url}/services/shop/map")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mapa del recorrido")
    page.goto(f"{live_server.url}/config/services/shop")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shop")
    expect(page.get_by_role("button", name="Guardar la evaluación")).to_have_count(0)
    expect(page.get_by_role("button", name="Guardar las reglas")).to_have_count(0)
    csrf = csrf_of(page.content())
    r = page.context.request.post(f"{live_server.url}/config/services/shop/rules", max_redirects=0,
                                  form={"csrf": csrf, "per_day": "1"})
    assert r.status == 403
    assert "No permitido" in r.text()
    with unit_of_work(live_server.factory) as session:
        dead = _dead_notification(session, shop.id)
    page.goto(f"{live_server.url}/ops?status=dead")
    expect(page.locator(f'tr[data-notification="{dead}"]')).to_be_visible()
    expect(page.get_by_role("button", name="Reintentar")).to_have_count(0)
    r = page.context.request.post(f"{live_server.url}/ops/notifications/{dead}/replay", max_redirects=0,
                                  form={"csrf": csrf})
    assert r.status == 403


def test_an_agent_sees_customers_and_processes_only(page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    sign_in_user(page, live_server, add_user(live_server, shop.id, "agent"))
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/customers"
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav.get_by_role("link", name="Clientes")).to_be_visible()
    for hidden in ("Resumen", "Servicios", "Configuración", "Operaciones"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    page.goto(f"{live_server.url}/customers/ana")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Pérez")
    for path in ("/overview", "/services/shop/map", "/services/shop", "/config/services/shop", "/ops",
                 "/services/shop/map/cell?moment=purchase&kind=reached"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("No permitido")


def test_an_owner_replays_a_dead_notification(page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    with unit_of_work(live_server.factory) as session:
        dead = _dead_notification(session, shop.id)
    sign_in_user(page, live_server, add_user(live_server, shop.id, "owner"))
    page.goto(f"{live_server.url}/overview")
    expect(page.locator('[data-alert="dead_notifications"]')).to_contain_text("1")
    page.locator('[data-alert="dead_notifications"] a').click()
    page.locator(f'tr[data-notification="{dead}"]').get_by_role("button", name="Reintentar").click()
    expect(page.locator('a[data-status="pending"]')).to_have_attribute("aria-current", "page")
    expect(page.locator(f'tr[data-notification="{dead}"]')).to_be_visible()  # back in the queue
    expect(page.locator('a[data-status="dead"] .count')).to_have_text("0")


def _dead_notification(session: Session, org_id: int) -> int:
    customer = get_customer(session, org_id, "ana")
    n = outbox.enqueue(session, org_id, outbox.NotificationIn(customer.id, "transactional", "generic",
                                                              f"dead-{utcnow().timestamp()}",
                                                              {"subject": "x", "text": "y"}), utcnow())
    assert n is not None
    n.status, n.last_error = "dead", "smtp: connection refused"
    session.flush()
    return n.id


@pytest.fixture
def axe_context(chromium: Browser) -> Iterator[BrowserContext]:
    """A phone-sized context that lets the test inject axe-core despite the pages' Content-Security-Policy."""
    context = chromium.new_context(locale="es-ES", viewport={"width": 390, "height": 844}, bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def test_demo_map_shows_real_numbers_screenshots_in_both_languages_and_no_serious_axe_violations(
        page: Page, axe_context: BrowserContext, live_server: LiveServer, artifacts: Path, engine_name: str) -> None:
    with unit_of_work(live_server.factory) as session:
        demo = load_demo(session, customers=60, public_url=live_server.url, reactions=REACTIONS)
        org_id = get_organization(session, "demo").id
        login = users.demo_login(session, org_id, utcnow())
    service = live_server.read(lambda s: catalog.list_services(s, org_id)[0].key)
    expected = live_server.read(lambda s: analytics.funnel(s, org_id, AnalyticsQuery(service=service, by="moment")))
    sign_in_user(page, live_server, login["email"], login["password"])
    for lang in ("es", "en"):
        page.goto(f"{live_server.url}/overview?lang={lang}")
        _shot(page, artifacts, f"dashboard-overview-{lang}", engine_name)
        page.goto(f"{live_server.url}/services/{service}/map?lang={lang}")
        for step in expected:
            assert _count(_cell(page, "reached", step.moment)) == step.reached, step.moment
        assert sum(step.reached for step in expected) > 0
        promises = page.locator('tr[data-row="promises"] td[data-moment]')
        assert any(re.search(r"\d+ %", t) for t in promises.all_inner_texts())  # the demo's promise compliance
        emotion = page.locator('tr[data-row="emotion"] td[data-moment]')
        assert any(re.search(r"[+-]\d\.\d\d", t) for t in emotion.all_inner_texts())  # sentiment of comments
        _shot(page, artifacts, f"dashboard-journey-map-{lang}", engine_name)
        busiest = max(expected, key=lambda s: s.reached).moment
        page.locator(f'tr[data-row="reached"] td[data-moment="{busiest}"] a').click()
        page.locator("table.drill tbody a").first.click()
        customer = page.url.removeprefix(f"{live_server.url}/customers/").split("?")[0]
        r = httpx.post(f"{live_server.url}/api/v1/contacts", json={
            "customer": customer, "purpose": "marketing", "subject": "Oferta", "text": "Hola"},
            headers={"Authorization": f"Bearer {demo['admin_key']}"})
        assert r.status_code == 202, r.text
        page.reload()
        expect(page.locator("table.decisions tbody tr").first).to_be_visible()
        _shot(page, artifacts, f"dashboard-customer-{lang}", engine_name)
    if engine_name != "sqlite":
        return  # the accessibility audit does not depend on the database
    source = axe_source()
    tab = axe_context.new_page()
    tab.goto(f"{live_server.url}/login")
    assert serious_violations(tab, source) == [], "/login"
    sign_in_user(tab, live_server, login["email"], login["password"])
    customer_url = page.url
    for path in ("/overview", f"/services/{service}/map", f"/services/{service}/map/cell?moment="
                 f"{expected[0].moment}&kind=reached", customer_url.removeprefix(live_server.url), "/customers",
                 "/config", f"/config/services/{service}", "/ops", "/", f"/services/{service}/map?segment=premium",
                 "/config/segments"):
        tab.goto(f"{live_server.url}{path}")
        assert serious_violations(tab, source) == [], path


def _shot(page: Page, artifacts: Path, name: str, engine_name: str) -> None:
    if engine_name == "sqlite":  # one set of screenshots is enough
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
