"""The consent history on the customer's page, in headless Chromium: every statement received through the doors
(Segment's consent context, a native identify, a profile edit), newest first, with its time, channel, purpose,
granted or withdrawn and source, in Spanish and English (labels, never raw codes); axe-core finds nothing serious."""

from __future__ import annotations

import base64

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import axe_source, serious_violations
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    basic = {"Authorization": "Basic " + base64.b64encode(f"{org.keys.write_key}:".encode()).decode()}
    segment = {"batch": [{"type": "identify", "userId": "ana", "messageId": "s-1", "timestamp": "2026-03-02T09:00:00Z",
                          "traits": {"name": "Ana Pérez", "email": "ana@example.com"},
                          "context": {"consent": {"categoryPreferences": {"Advertising": True}}}}]}
    assert httpx.post(f"{live_server.url}/v1/batch", json=segment, headers=basic).status_code == 200
    native = {"identifies": [{"customer": "ana", "timestamp": "2026-03-03T09:00:00Z", "message_id": "n-1",
                              "consents": [{"channel": "sms", "purpose": "status", "granted": False}]}]}
    assert httpx.post(f"{live_server.url}/api/v1/events", json=native, headers=org.writer).status_code == 200
    r = httpx.patch(f"{live_server.url}/api/v1/customers/ana", headers=org.admin, json={"do_not_contact": True})
    assert r.status_code == 200
    return org


def test_consent_history_in_spanish_and_english(page: Page, live_server: LiveServer, org: OrgHandle) -> None:
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/customers/ana")
    section = page.locator("#consent-history")
    expect(section.get_by_role("heading", level=2)).to_have_text("Historial de consentimientos")
    rows = section.get_by_test_id("consent-event")
    expect(rows).to_have_count(3)
    dnc, sms, marketing = rows.nth(0), rows.nth(1), rows.nth(2)  # newest first
    expect(dnc.get_by_test_id("statement")).to_have_text("Pidió no ser contactado")
    expect(dnc.get_by_test_id("purpose")).to_have_text("Cualquier contacto")
    expect(dnc.get_by_test_id("source")).to_have_text("Edición del perfil (administración)")
    expect(sms.get_by_test_id("channel")).to_have_text("SMS")
    expect(sms.get_by_test_id("statement")).to_have_text("Retirado")
    expect(sms.get_by_test_id("source")).to_have_text("API de eventos")
    expect(sms.locator("time")).to_have_attribute("datetime", "2026-03-03T09:00:00+00:00")
    expect(marketing.get_by_test_id("purpose")).to_have_text("Marketing")
    expect(marketing.get_by_test_id("statement")).to_have_text("Concedido")
    expect(marketing.get_by_test_id("source")).to_have_text("SDK de Segment o RudderStack")
    expect(marketing.locator("time")).to_have_attribute("datetime", "2026-03-02T09:00:00+00:00")
    assert serious_violations(page, axe_source()) == []

    page.get_by_role("link", name="English").click()
    expect(section.get_by_role("heading", level=2)).to_have_text("Consent history")
    expect(rows.nth(0).get_by_test_id("statement")).to_have_text("Asked not to be contacted")
    expect(rows.nth(0).get_by_test_id("purpose")).to_have_text("Any contact")
    expect(rows.nth(0).get_by_test_id("source")).to_have_text("Profile edit (admin)")
    expect(rows.nth(1).get_by_test_id("statement")).to_have_text("Withdrawn")
    expect(rows.nth(1).get_by_test_id("purpose")).to_have_text("Status updates")
    expect(rows.nth(1).get_by_test_id("source")).to_have_text("Events API")
    expect(rows.nth(2).get_by_test_id("channel")).to_have_text("All channels")
    expect(rows.nth(2).get_by_test_id("statement")).to_have_text("Granted")


def test_the_contact_decision_page_shows_the_consent_history_too(page: Page, live_server: LiveServer,
                                                                  org: OrgHandle) -> None:
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/customers/ana/contact-decisions")
    section = page.locator("#consent-history")
    expect(section.get_by_role("heading", level=2)).to_have_text("Historial de consentimientos")
    rows = section.get_by_test_id("consent-event")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).get_by_test_id("statement")).to_have_text("Pidió no ser contactado")
    expect(rows.nth(2).get_by_test_id("source")).to_have_text("SDK de Segment o RudderStack")
    assert serious_violations(page, axe_source()) == []
    page.get_by_role("link", name="English").click()
    expect(section.get_by_role("heading", level=2)).to_have_text("Consent history")
    expect(rows.nth(1).get_by_test_id("statement")).to_have_text("Withdrawn")
