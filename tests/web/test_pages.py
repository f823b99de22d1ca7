"""The pages in headless Chromium against a real server: sign-in, levels in Spanish and English, the journey,
a customer's timeline and history, tenant isolation and a phone-sized screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from momentos.db import unit_of_work
from tests.conftest import LiveServer, OrgHandle
from tests.web.seed import (
    ANA_ACTIVITIES,
    ANA_HISTORY_ES,
    EIGHT_MOMENTS,
    SHOP_COUNTS,
    csrf_of,
    seed_journeys,
    seed_private,
)

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="America/Mexico_City")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    return org


def sign_in(page: Page, live_server: LiveServer, key: str) -> None:
    """Sign in through the form's HTTP requests (the cookie lands in the page's context); the form itself is
    driven by the first test."""
    token = csrf_of(page.context.request.get(f"{live_server.url}/login").text())
    response = page.context.request.post(f"{live_server.url}/login", form={"key": key, "csrf": token},
                                         max_redirects=0)
    assert response.status == 303, response.text()


def shot(page: Page, artifacts: Path, name: str, engine_name: str) -> None:
    if engine_name == "sqlite":  # one set of screenshots is enough
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


def test_sign_in_refuses_a_bad_key_then_shows_levels_explained_in_spanish(
        page: Page, live_server: LiveServer, shop: OrgHandle, artifacts: Path, engine_name: str) -> None:
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login?next=")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Clave de administración").fill("ma_wrong")
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("alert")).to_contain_text("Esa clave no es válida")
    shot(page, artifacts, "login-error", engine_name)
    page.get_by_label("Clave de administración").fill(shop.keys.admin_key)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Servicios")
    assert page.url == f"{live_server.url}/"
    shop_card = page.locator('[data-service="shop"]')
    expect(shop_card.locator(".badge")).to_have_text("Bajo contacto")
    expect(shop_card).to_contain_text("El cliente no está presente físicamente: el contacto se da a distancia.")
    expect(shop_card.locator('[data-figure="processes"]')).to_have_text("5")
    bistro = page.locator('[data-service="bistro"]')
    expect(bistro.locator(".badge")).to_have_text("Alto contacto")
    expect(bistro).to_contain_text("El cliente participa activamente con el personal.")
    shot(page, artifacts, "services-es", engine_name)
    page.keyboard.press("Tab")  # keyboard users can skip the navigation
    skip = page.get_by_role("link", name="Saltar al contenido")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_language_switch_to_english_changes_headings_and_explanations(
        page: Page, live_server: LiveServer, shop: OrgHandle, artifacts: Path, engine_name: str) -> None:
    sign_in(page, live_server, shop.keys.admin_key)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services")
    assert page.locator("html").get_attribute("lang") == "en"
    shop_card = page.locator('[data-service="shop"]')
    expect(shop_card.locator(".badge")).to_have_text("Low contact")
    expect(shop_card).to_contain_text("The customer is not physically present: contact happens at arm's length.")
    shot(page, artifacts, "services-en", engine_name)
    page.get_by_role("link", name="Customers").click()  # the choice is kept in a cookie
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    page.get_by_role("link", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clientes")


def test_service_page_shows_eight_moments_in_order_with_process_counts(
        page: Page, live_server: LiveServer, shop: OrgHandle, artifacts: Path, engine_name: str) -> None:
    sign_in(page, live_server, shop.keys.admin_key)
    page.goto(f"{live_server.url}/")
    page.locator('[data-service="shop"]').get_by_role("link", name="Shop").click()
    moments = page.locator("ol.journey > li.moment")
    expect(moments).to_have_count(8)
    assert [m.get_attribute("data-moment") for m in moments.all()] == EIGHT_MOMENTS
    assert [int(m.locator(".count").inner_text()) for m in moments.all()] == list(SHOP_COUNTS.values())
    expect(moments.nth(0).get_by_role("heading")).to_have_text("Estímulo previo")
    expect(moments.nth(7).get_by_role("heading")).to_have_text("Fidelización y renovación")
    delivery = page.locator('[data-moment="delivery"]')
    expect(delivery.locator(".touchpoint")).to_contain_text("Empresa")  # who starts it
    expect(delivery.locator(".default-marker").first).to_have_text("por defecto")
    shot(page, artifacts, "service-journey", engine_name)


def test_customer_page_shows_profile_timeline_and_process_history(
        page: Page, live_server: LiveServer, shop: OrgHandle, artifacts: Path, engine_name: str) -> None:
    sign_in(page, live_server, shop.keys.admin_key)
    page.goto(f"{live_server.url}/customers")
    page.get_by_label("Buscar por id, nombre o correo").fill("pérez")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name="Ana Pérez").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Pérez")
    expect(page.locator(".profile")).to_contain_text("America/Mexico_City")
    expect(page.locator(".profile")).to_contain_text("WhatsApp")
    items = page.locator(".timeline-item")
    expect(items).to_have_count(4)
    assert [i.locator("code").inner_text() for i in items.all()] == ANA_ACTIVITIES[::-1]
    expect(items.first.locator("time")).to_have_text("2 mar 2026, 4:00")  # 10:00 UTC in Mexico City
    process = page.locator("article.process")
    expect(process.locator(".current-moment")).to_have_text("Entrega y prestación")
    assert process.locator(".history-moment").all_inner_texts() == ANA_HISTORY_ES
    expect(process.locator(".history li.is-current")).to_contain_text("en curso")
    shot(page, artifacts, "customer", engine_name)


def test_another_organizations_service_and_customer_are_not_found(
        page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    other = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_private(session, other.id)
    sign_in(page, live_server, shop.keys.admin_key)
    for path in ("/services/secret-shop", "/customers/victim"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("No encontrado")


def test_pages_fit_a_375px_phone_screen(page: Page, live_server: LiveServer, shop: OrgHandle, artifacts: Path,
                                        engine_name: str) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    pages = [("login", "/login"), ("services", "/"), ("service", "/services/shop"), ("customers", "/customers"),
             ("customer", "/customers/ana")]
    for name, path in pages:
        if name == "services":
            sign_in(page, live_server, shop.keys.admin_key)
        page.goto(f"{live_server.url}{path}")
        assert page.url.endswith(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} overflows: {width}px"
        shot(page, artifacts, f"phone-{name}", engine_name)
