"""Recording a customer's consent from the customer's page, in headless Chromium (es and en): an agent records a
withdrawal the customer made by phone; the current consent, the history (same service as the API's profile edit)
and the audit log (the agent as actor) hold it. Analysts get no form and 403; a bad channel is refused beside the
field."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from momentos.audit import service as audit
from momentos.customers import service as customers
from momentos.models import Customer
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of

pytestmark = [pytest.mark.live]
WITHDRAWN = {"en": "Withdrawn", "es": "Retirado"}
BY_PHONE = {"en": "By phone, recorded by staff", "es": "Por teléfono, registrado por el personal"}


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    native = {"identifies": [{"customer": "ana", "timestamp": "2026-03-03T09:00:00Z", "message_id": "n-1",
                              "consents": [{"channel": "email", "purpose": "marketing", "granted": True}]}]}
    assert httpx.post(f"{live_server.url}/api/v1/events", json=native, headers=org.writer).status_code == 200
    return org


def _consents(live_server: LiveServer, org: OrgHandle) -> list[tuple[str, str, bool, str]]:
    def read(s: object) -> list[tuple[str, str, bool, str]]:
        from sqlalchemy.orm import Session
        assert isinstance(s, Session)
        ana = s.scalars(select(Customer).where(Customer.org_id == org.id, Customer.external_id == "ana")).one()
        return [(c.channel, c.purpose, c.granted, c.source) for c in customers.consents_of(s, ana.id)]
    result: list[tuple[str, str, bool, str]] = live_server.read(read)
    return result


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "en"])
def test_an_agent_records_a_withdrawal_said_by_phone(page: Page, live_server: LiveServer, org: OrgHandle,
                                                      lang: str, request: pytest.FixtureRequest) -> None:
    email = add_user(live_server, org.id, "agent", language=lang)
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/customers/ana")
    form = page.locator("#consent-form")
    form.locator("#k-granted").select_option("false")
    form.locator("#k-channel").select_option("email")
    form.locator("#k-purpose").select_option("marketing")
    form.locator("#k-source").select_option("phone")
    form.get_by_role("button").click()
    newest = page.locator("#consent-history").get_by_test_id("consent-event").first
    expect(newest.get_by_test_id("statement")).to_have_text(WITHDRAWN[lang])
    expect(newest.get_by_test_id("source")).to_have_text(BY_PHONE[lang])
    assert _consents(live_server, org) == [("email", "marketing", False, "phone")]
    entries = live_server.read(lambda s: audit.entries(s, org.id, action="customer.consent"))
    assert [(e.actor_label, e.target) for e in entries] == [(email, "customer:ana")]
    if lang == "es" and request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []


def test_analysts_cannot_record_and_a_bad_channel_is_refused_beside_the_field(live_server: LiveServer,
                                                                              org: OrgHandle) -> None:
    def signed_in(role: str) -> httpx.Client:
        c = httpx.Client(base_url=live_server.url, follow_redirects=False, headers={"Accept-Language": "en"})
        c.post("/login", data={"email": add_user(live_server, org.id, role), "password": PASSWORD,
                               "csrf": csrf_of(c.get("/login").text)})
        return c

    with closing(signed_in("analyst")) as c:
        page = c.get("/customers/ana")
        assert page.status_code == 200 and 'id="consent-form"' not in page.text
        data = {"channel": "email", "purpose": "marketing", "granted": "false", "source": "phone",
                "csrf": csrf_of(page.text)}
        assert c.post("/customers/ana/consents", data=data).status_code == 403
    with closing(signed_in("manager")) as c:
        token = csrf_of(c.get("/customers/ana").text)
        bad = c.post("/customers/ana/consents", data={**data, "channel": "fax", "csrf": token})
        assert bad.status_code == 400 and 'data-error-for="channel"' in bad.text
        assert 'value="phone" selected' in bad.text
        assert c.post("/customers/ana/consents", data={**data, "source": "rumour", "csrf": token}).status_code == 400
        assert c.post("/customers/nobody/consents", data={**data, "csrf": token}).status_code == 404
    assert _consents(live_server, org) == [("email", "marketing", True, "api")]
