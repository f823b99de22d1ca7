"""The consent grid on a customer's page, in headless Chromium (es and en): a grant received through the API and a
withdrawal an agent records show in their cells, in words; cells without a statement say what the organization
assumes. axe-core clean."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user

pytestmark = [pytest.mark.live, pytest.mark.browser]
WORDS = {"es": {"granted": "Concedido", "withdrawn": "Retirado", "yes": "se supone concedido",
                "no": "se supone no concedido", "every": "dicho para todos los canales"},
         "en": {"granted": "Granted", "withdrawn": "Withdrawn", "yes": "assumed granted", "no": "assumed not granted",
                "every": "said for every channel"}}


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    native = {"identifies": [{"customer": "ana", "timestamp": "2026-03-03T09:00:00Z", "message_id": "g-1",
                              "consents": [{"channel": "email", "purpose": "marketing", "granted": True}]}]}
    assert httpx.post(f"{live_server.url}/api/v1/events", json=native, headers=org.writer).status_code == 200
    return org


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_grid_shows_a_grant_and_a_withdrawal_in_words(page: Page, live_server: LiveServer, org: OrgHandle,
                                                          lang: str, request: pytest.FixtureRequest) -> None:
    w = WORDS[lang]
    sign_in_user(page, live_server, add_user(live_server, org.id, "agent", language=lang))
    page.goto(f"{live_server.url}/customers/ana")
    grid = page.locator("#consent-grid table")

    def cell(channel: str, purpose: str) -> Locator:
        return grid.locator(f'tr[data-channel="{channel}"] td[data-purpose="{purpose}"]')

    expect(cell("email", "marketing").locator(".chip")).to_have_text(w["granted"])
    expect(cell("sms", "marketing").locator(".consent-scope")).to_have_text(w["no"])
    expect(cell("sms", "status").locator(".consent-scope")).to_have_text(w["yes"])
    form = page.locator("#consent-form")
    form.locator("#k-granted").select_option("false")
    form.locator("#k-channel").select_option("*")
    form.locator("#k-purpose").select_option("survey")
    form.locator("#k-source").select_option("phone")
    form.get_by_role("button").click()
    for channel in ("email", "sms", "whatsapp", "webhook"):
        expect(cell(channel, "survey")).to_have_attribute("data-state", "withdrawn")
    expect(cell("sms", "survey").locator(".chip")).to_have_text(w["withdrawn"])
    expect(cell("sms", "survey").locator(".consent-scope")).to_have_text(w["every"])
    expect(cell("email", "marketing")).to_have_attribute("data-state", "granted")
    expect(grid.get_by_role("columnheader")).to_have_count(6)
    expect(grid.get_by_role("rowheader")).to_have_count(4)
    if request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []
