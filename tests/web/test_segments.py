"""Customer segments on the pages: the journey map and the indicators filtered by a segment in headless Chromium
(smaller numbers, drill-downs that list only members, the filter carried through the links), the configuration
page of a manager, what analysts and agents get, and axe-core on the new page and the filtered map."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.audit.service import Actor
from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.segments.schemas import SegmentCreate
from tests.conftest import LiveServer, OrgHandle
from tests.factories import T0
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of, seed_journeys

pytestmark = [pytest.mark.live]
PREMIUM = {"ana", "eva", "gus"}


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
        for who in ("ana", "bea", "carla", "dani", "eva", "fer", "gus"):
            identify(session, org.id, IdentifyIn(customer=who, timestamp=T0, traits={
                "plan": "premium" if who in PREMIUM else "basic"}))
        segments.create_segment(session, org.id, SegmentCreate.model_validate({
            "key": "premium", "name_es": "Clientes premium", "name_en": "Premium customers",
            "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]}), utcnow(), actor=Actor.cli("tests"))
    return org


def _reached(page: Page, moment: str) -> int:
    text = page.locator(f'tr[data-row="reached"] td[data-moment="{moment}"]').inner_text()
    return int(re.match(r"\s*(\d+)", text).group(1))  # type: ignore[union-attr]


@pytest.mark.browser
def test_the_map_filtered_by_a_segment_shows_its_customers_only(page: Page, chromium: Browser,
                                                                live_server: LiveServer, shop: OrgHandle,
                                                                request: pytest.FixtureRequest) -> None:
    email = add_user(live_server, shop.id, "analyst")
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/services/shop/map")
    everyone = {m: _reached(page, m) for m in ("awareness", "purchase")}
    assert everyone == {"awareness": 2, "purchase": 3}
    expect(page.locator('[data-note="segment"]')).to_have_count(0)
    page.get_by_label("Segmento de clientes").select_option(label="Clientes premium")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.get_by_label("Segmento de clientes")).to_have_value("premium")
    assert "segment=premium" in page.url
    expect(page.locator('[data-note="segment"]')).to_be_visible()
    assert {m: _reached(page, m) for m in ("awareness", "purchase")} == {"awareness": 1, "purchase": 2}
    link = page.locator('tr[data-row="reached"] td[data-moment="purchase"] a')
    expect(link).to_have_attribute("href", re.compile(r"segment=premium"))
    link.click()
    expect(page.locator('[data-filter="segment"]')).to_contain_text("Clientes premium")
    expect(page.locator('[data-figure="total"]')).to_contain_text("2")
    assert sorted(page.locator("table.drill tbody td:first-child").all_inner_texts()) == ["ana", "eva"]
    page.get_by_role("link", name="Shop").click()  # back to the map, still filtered
    expect(page.get_by_label("Segmento de clientes")).to_have_value("premium")
    page.goto(f"{live_server.url}/services/shop/indicators")
    funnel_all = page.locator("#chart-funnel").inner_text()
    page.get_by_label("Segmento de clientes").select_option("premium")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.get_by_label("Segmento de clientes")).to_have_value("premium")
    assert page.locator("#chart-funnel").inner_text() != funnel_all
    assert page.goto(f"{live_server.url}/services/shop/map?segment=nobody").status == 404  # type: ignore[union-attr]

    if request.node.callspec.params["engine"] != "sqlite":
        return  # the accessibility audit does not depend on the database
    context = chromium.new_context(locale="es-ES", viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in_user(tab, live_server, add_user(live_server, shop.id, "manager"))
        source = axe_source()
        for path in ("/services/shop/map?segment=premium", "/services/shop/map/cell?moment=purchase&kind=reached"
                     "&segment=premium", "/config/segments", "/services/shop/indicators?segment=premium"):
            tab.goto(f"{live_server.url}{path}")
            assert serious_violations(tab, source) == [], path
    finally:
        context.close()


@pytest.mark.browser
def test_a_manager_defines_previews_and_deletes_a_segment(page: Page, live_server: LiveServer,
                                                          shop: OrgHandle) -> None:
    sign_in_user(page, live_server, add_user(live_server, shop.id, "manager", language="en"))
    page.goto(f"{live_server.url}/config")
    page.get_by_role("link", name="Customer segments").click()
    expect(page.locator('tr[data-segment="premium"] [data-figure="members"]')).to_have_text("3")
    page.get_by_label("Key").fill("basic-es")
    page.get_by_label("Name in Spanish").fill("Básicos")
    page.get_by_label("Name in English").fill("Basic")
    condition = page.locator('[data-condition="0"]')
    condition.get_by_label("Attribute").select_option("traits")
    condition.get_by_label("Trait name").fill("plan")
    condition.get_by_label("Condition", exact=True).select_option("in")
    condition.get_by_label("Value").fill("basic, gold")
    page.get_by_role("button", name="Save the segment").click()
    row = page.locator('tr[data-segment="basic-es"]')
    expect(row.locator('[data-figure="members"]')).to_have_text("4")
    expect(row).to_contain_text("bea")
    stored = live_server.read(lambda s: segments.get_segment(s, shop.id, "basic-es").rule)
    assert stored == [{"field": "traits.plan", "op": "in", "value": ["basic", "gold"]}]
    page.get_by_label("Key").fill("bad")
    page.get_by_label("Name in Spanish").fill("Malo")
    page.get_by_label("Name in English").fill("Bad")
    condition.get_by_label("Attribute").select_option("traits")
    condition.get_by_label("Trait name").fill("age")
    condition.get_by_label("Condition", exact=True).select_option("gt")
    condition.get_by_label("Value").fill("old")
    page.get_by_role("button", name="Save the segment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Key")).to_have_value("bad")  # the form keeps what was typed
    row.get_by_role("button", name="Delete").click()
    expect(page.locator('tr[data-segment="basic-es"]')).to_have_count(0)
    assert [s.key for s in live_server.read(lambda s: segments.list_segments(s, shop.id))] == ["premium"]


@contextmanager
def _client(live_server: LiveServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, follow_redirects=False, headers={"Accept-Language": "es"}) as c:
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}).status_code == 303
        yield c


FORM = {"key": "s", "name_es": "s", "name_en": "s", "attribute_0": "language", "op_0": "eq", "value_0": "es"}


def test_analysts_cannot_define_segments_agents_cannot_see_them_and_forms_need_the_token(
        live_server: LiveServer, shop: OrgHandle) -> None:
    with _client(live_server, add_user(live_server, shop.id, "analyst")) as c:
        r = c.get("/config/segments")
        assert r.status_code == 200 and 'data-segment="premium"' in r.text
        assert 'method="post"' not in r.text.split("</header>", 1)[-1]  # no form, no delete button
        token = csrf_of(c.get("/overview").text)
        assert c.post("/config/segments", data={**FORM, "csrf": token}).status_code == 403
        assert c.post("/config/segments/premium/delete", data={"csrf": token}).status_code == 403
    with _client(live_server, add_user(live_server, shop.id, "agent")) as c:
        assert c.get("/config/segments").status_code == 403
        assert c.get("/services/shop/map?segment=premium").status_code == 403
    other = live_server.new_org()
    with _client(live_server, add_user(live_server, other.id, "manager")) as c:
        token = csrf_of(c.get("/overview").text)
        assert "premium" not in c.get("/config/segments").text
        assert c.post("/config/segments/premium/delete", data={"csrf": token}).status_code == 404
    with _client(live_server, add_user(live_server, shop.id, "manager")) as c:
        assert c.post("/config/segments", data=FORM).status_code == 400
        assert c.post("/config/segments", data={**FORM, "csrf": "forged"}).status_code == 400
        token = csrf_of(c.get("/overview").text)
        assert c.post("/config/segments", data={**FORM, "csrf": token}).status_code == 303
        again = c.post("/config/segments", data={**FORM, "csrf": token})
        assert again.status_code == 400 and 'role="alert"' in again.text
    assert sorted(s.key for s in live_server.read(lambda s: segments.list_segments(s, shop.id))) == ["premium", "s"]
