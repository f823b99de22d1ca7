"""Tasks that only the API did, now from the pages, in headless Chromium: a manager (in English) sets the contact
level by hand with a reason and clears it, edits a touchpoint (activities picked from the service's events; a clash
is shown next to the field with what was picked kept) and removes one, looks at a preset's mapping and chooses it;
an agent (in Spanish) gets and revokes a process's status-page link and a survey link. Results are checked in the
database and the audit log; axe-core on both pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.audit.service import Actor, entries
from momentos.catalog import service as catalog
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate
from momentos.models import StatusToken, SurveyInvitation
from momentos.notify import status_tokens
from tests.conftest import LiveServer, OrgHandle
from tests.factories import make_service
from tests.listening.helpers import QUESTIONS
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import seed_journeys

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
        make_service(session, org.id, key="bare", touchpoints={})
        surveys.create_survey(session, org.id, SurveyCreate.model_validate({
            "key": "after", "title_es": "Tu experiencia", "title_en": "Your experience", "questions": QUESTIONS}),
            utcnow(), actor=Actor.cli("tests"))
    return org


def _actions(live_server: LiveServer, org_id: int, prefix: str | None = None) -> list[str]:
    return [e.action for e in live_server.read(lambda s: entries(s, org_id, action=prefix))]


def test_a_manager_overrides_the_level_edits_touchpoints_and_chooses_a_journey_model(
        page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "manager", language="en")
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/config/services/shop")
    expect(page.locator('[data-level="assessed"]')).to_have_text("Low contact")
    page.get_by_label("Level to use").select_option("high")
    page.get_by_role("button", name="Set the level by hand").click()  # no reason: refused, choice kept
    expect(page.locator("#ov-reason-error")).to_contain_text("Say why the level is set by hand")
    expect(page.get_by_label("Level to use")).to_have_value("high")
    page.get_by_label("Reason").fill("Our couriers talk to every customer")
    page.get_by_role("button", name="Set the level by hand").click()
    expect(page.locator('[data-level="override"]')).to_have_text("High contact")
    expect(page.locator('[data-level="effective"]')).to_have_text("High contact")
    service = live_server.read(lambda s: catalog.get_service(s, shop.id, "shop"))
    assert (service.level_override, service.override_reason) == ("high", "Our couriers talk to every customer")
    page.get_by_role("button", name="Clear the level set by hand").click()
    expect(page.locator('[data-level="override"]')).to_have_text("No")
    assert live_server.read(lambda s: catalog.get_service(s, shop.id, "shop")).level_override is None

    support = next(tp for tp in live_server.read(lambda s: catalog.list_touchpoints(s, shop.id, service.id))
                   if tp.moment == "support")
    edit = page.locator(f'tr[data-touchpoint="{support.id}"]').get_by_role("link")
    expect(edit).to_have_accessible_name(re.compile(r"^Edit the touchpoint "))
    edit.click()
    form = page.locator("#tp-form")
    expect(form).to_have_attribute("data-editing", str(support.id))
    expect(form.get_by_role("checkbox", name="ticket_opened")).to_be_checked()
    form.get_by_role("checkbox", name="order_placed").check()  # seen in the events; leads to the purchase
    form.get_by_label("Channel").select_option("phone")
    form.get_by_role("button", name="Save the touchpoint").click()
    expect(page.locator("#tp-activities-error")).to_contain_text("order_placed already lead to another one")
    expect(page.locator("#tp-form").get_by_role("checkbox", name="order_placed")).to_be_checked()
    expect(page.locator("#tp-form").get_by_label("Channel")).to_have_value("phone")
    page.locator("#tp-form").get_by_role("checkbox", name="order_placed").uncheck()
    page.locator("#tp-form").get_by_role("button", name="Save the touchpoint").click()
    expect(page.locator(f'tr[data-touchpoint="{support.id}"]')).to_contain_text("Phone")
    loyalty = next(tp for tp in live_server.read(lambda s: catalog.list_touchpoints(s, shop.id, service.id))
                   if tp.moment == "loyalty")
    page.locator(f'tr[data-touchpoint="{loyalty.id}"]').get_by_role("button").click()
    expect(page.locator(f'tr[data-touchpoint="{loyalty.id}"]')).to_have_count(0)
    stored = {tp.id: tp for tp in live_server.read(lambda s: catalog.list_touchpoints(s, shop.id, service.id))}
    assert loyalty.id not in stored and stored[support.id].channel == "phone"
    assert stored[support.id].activities == ["ticket_opened"]
    assert _actions(live_server, shop.id, "touchpoint")[:3] == ["touchpoint.delete", "touchpoint.update",
                                                                "touchpoint.create"]

    page.locator("#jm-model").select_option("purchase-decision-5")
    page.get_by_role("button", name="Show its moments").click()
    candidate = page.locator("#jm-candidate")
    expect(candidate.locator('tr[data-moment="post_purchase"]')).to_contain_text("Loyalty and renewal")
    candidate.get_by_role("button", name="Use Purchase decision process (Kotler) for this service").click()
    expect(page.locator("#jm-error")).to_contain_text("edit or remove them first")
    assert live_server.read(lambda s: catalog.get_service(s, shop.id, "shop")).journey_model_key == "contact-moments-8"

    page.goto(f"{live_server.url}/config/services/bare")
    expect(page.get_by_test_id("no-activities")).to_be_visible()
    page.locator("#jm-model").select_option("moments-of-truth-5")
    page.get_by_role("button", name="Show its moments").click()
    page.locator("#jm-candidate").get_by_role("button").click()
    expect(page.locator("#journey-model [data-model]")).to_have_attribute("data-model", "moments-of-truth-5")
    assert live_server.read(lambda s: catalog.get_service(s, shop.id, "bare")).journey_model_key == \
        "moments-of-truth-5"


def test_an_agent_gets_and_revokes_status_and_survey_links(page: Page, chromium: Browser, live_server: LiveServer,
                                                           shop: OrgHandle, request: pytest.FixtureRequest) -> None:
    email = add_user(live_server, shop.id, "agent")
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/customers/bea")
    links = page.locator("[data-links]").first
    pid = int(links.get_attribute("data-links") or 0)
    links.locator("summary").click()
    links.get_by_role("button", name="Obtener el enlace a la página de estado").click()
    links = page.locator(f'[data-links="{pid}"]')
    url = links.locator('[data-link-url="status"]').input_value()
    token = url.rsplit("/s/", 1)[1]
    assert url.startswith(live_server.url)
    assert live_server.read(lambda s: status_tokens.find(s, token)).process_id == pid
    links.get_by_role("button", name="Copiar").first.click()
    expect(links.get_by_role("button", name="Copiado")).to_have_count(1)
    assert page.context.request.get(url).status == 200
    links.get_by_role("button", name="Revocar").click()
    expect(page.locator(f'[data-links="{pid}"] [data-link-url="status"]')).to_have_count(0)
    assert live_server.read(lambda s: status_tokens.find(s, token)) is None
    assert page.context.request.get(url).status == 404

    links = page.locator(f'[data-links="{pid}"]')
    if not links.get_attribute("open"):
        links.locator("summary").click()
    links.get_by_label("Encuesta", exact=True).select_option("after")
    links.get_by_role("button", name="Obtener un enlace de encuesta").click()
    survey_url = page.locator(f'[data-links="{pid}"] [data-link-url="survey"]').input_value()
    assert "/f/" in survey_url and page.context.request.get(survey_url).status == 200
    invitation = live_server.read(lambda s: s.query(SurveyInvitation).filter_by(process_id=pid).one())
    assert invitation.expires_at > utcnow()
    page.locator(f'[data-links="{pid}"]').get_by_role("button", name="Finalizar el enlace").click()
    expect(page.locator(f'[data-links="{pid}"] [data-link-url="survey"]')).to_have_count(0)
    ended = live_server.read(lambda s: s.query(SurveyInvitation).filter_by(process_id=pid).one())
    assert ended.expires_at <= utcnow()
    actions = _actions(live_server, shop.id)
    assert [a for a in actions if a.endswith("_link.create") or a.endswith("_link.revoke")] == [
        "survey_link.revoke", "survey_link.create", "status_link.revoke", "status_link.create"]
    assert live_server.read(lambda s: s.query(StatusToken).filter_by(process_id=pid).count()) == 1

    if request.node.callspec.params["engine"] != "sqlite":
        return  # the accessibility audit does not depend on the database
    for locale, user in (("es-ES", email), ("en-GB", add_user(live_server, shop.id, "manager", language="en"))):
        context = chromium.new_context(locale=locale, viewport={"width": 390, "height": 844}, bypass_csp=True)
        try:
            tab = context.new_page()
            sign_in_user(tab, live_server, user)
            source = axe_source()
            paths = ["/customers/bea"] if user == email else [
                "/config/services/shop?edit=1", "/config/services/shop?model=buyer-experience-6",
                "/config/services/bare"]
            for path in paths:
                tab.goto(f"{live_server.url}{path}")
                if "customers" in path:
                    tab.locator("details.process-links summary").first.click()
                assert serious_violations(tab, source) == [], path
        finally:
            context.close()
