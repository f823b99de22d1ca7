"""The organization's contact rules from the page, in headless Chromium (es and en): a manager sets quiet hours,
adds, changes and deletes a frequency cap, disables a channel and changes the consent assumed for a purpose; each
change is stored in the ``org`` layer and audited with the manager as actor. A bad cap keeps what was typed and
says what is wrong beside the field. Analysts read the sentences without forms; agents get 403."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from momentos.audit import service as audit
from momentos.dashboard.preview import stored_rules
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of

pytestmark = [pytest.mark.live]
TWICE = {"en": "Choose each channel at most once.", "es": "Elija cada canal una sola vez."}
PAGE = "/config/contact-rules"
AT_LEAST_0 = {"en": "Enter a number of at least 0.", "es": "Escribe un número de al menos 0."}
SENTENCE = {"en": "Messages for Marketing by Email: at most 1 a day.",
            "es": "Mensajes de Marketing por Correo electrónico: como máximo 1 al día."}


def _org_rules(live_server: LiveServer, org: OrgHandle) -> dict[str, object]:
    return dict(live_server.read(lambda s: stored_rules(s, org.id, "org")))


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_manager_changes_the_organizations_contact_rules_from_the_page(
        page: Page, live_server: LiveServer, lang: str, request: pytest.FixtureRequest) -> None:
    org = live_server.new_org()
    email = add_user(live_server, org.id, "manager", language=lang)
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/config")
    page.locator(f'a[href="{PAGE}"]').click()
    expect(page.locator('[data-rule="no-caps"]')).to_be_visible()

    page.locator("#q-start").fill("22:00")
    page.locator("#q-end").fill("08:00")
    page.locator("#quiet button").click()
    expect(page.locator('[data-rule="quiet"]')).to_contain_text("22:00")
    assert _org_rules(live_server, org)["quiet_hours"] == {"start": "22:00:00", "end": "08:00:00"}

    page.locator("#c-channel").select_option("email")
    page.locator("#c-purpose").select_option("marketing")
    page.locator("#c-day").fill("-1")
    page.locator("#caps form.form button").click()
    expect(page.locator("#c-day-error")).to_have_text(AT_LEAST_0[lang])
    expect(page.locator("#c-day")).to_have_value("-1")
    expect(page.locator("#c-channel")).to_have_value("email")
    expect(page.locator("#c-purpose")).to_have_value("marketing")
    if lang == "es" and request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []
    page.locator("#c-day").fill("1")
    page.locator("#caps form.form button").click()
    expect(page.locator('[data-cap="email/marketing"]')).to_have_text(SENTENCE[lang] + " " + (
        "Delete" if lang == "en" else "Eliminar"))
    page.locator("#c-channel").select_option("email")
    page.locator("#c-purpose").select_option("marketing")
    page.locator("#c-week").fill("3")
    page.locator("#caps form.form button").click()  # the same channel and purpose: replaces it
    expect(page.locator('[data-cap="email/marketing"]')).to_contain_text("3")
    assert _org_rules(live_server, org)["caps"] == {"email/marketing": {"week": 3}}
    page.locator('[data-delete="email/marketing"]').click()
    expect(page.locator('[data-rule="no-caps"]')).to_be_visible()

    page.locator('input[name="disabled"][value="sms"]').check()
    page.locator("#k-survey").select_option("yes")
    page.locator("#channels form button").click()
    expect(page.locator('[data-consent="survey"]')).to_be_visible()
    stored = _org_rules(live_server, org)
    assert (stored["disabled_channels"], stored["default_consent"], "caps" in stored) == (
        ["sms"], {"survey": True}, False)
    if lang == "es" and request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []

    # the order in which channels are tried: a channel chosen twice is refused beside the field, the input kept
    page.locator("#o-0").select_option("whatsapp")
    page.locator("#o-1").select_option("whatsapp")
    page.locator("#order button").click()
    expect(page.locator("#o-0-error")).to_have_text(TWICE[lang])
    expect(page.locator("#o-1")).to_have_value("whatsapp")
    page.locator("#o-1").select_option("email")
    for i in range(2, 4):
        page.locator(f"#o-{i}").select_option("")
    page.locator("#order button").click()
    email_name = "Email" if lang == "en" else "Correo electrónico"
    expect(page.locator('[data-rule="order-now"]')).to_contain_text(f"WhatsApp, {email_name}")
    assert _org_rules(live_server, org)["channel_order"] == ["whatsapp", "email"]
    entries = live_server.read(lambda s: audit.entries(s, org.id, action="contact_rules"))
    assert {(e.actor_kind, e.actor_label, e.target) for e in entries} == {
        ("user", email, "contact_rules:org")}
    assert len(entries) == 6  # quiet hours, cap, cap changed, cap deleted, channels, order: bad input stored nothing


def test_analysts_read_agents_are_refused_and_bad_parts_are_400(live_server: LiveServer) -> None:
    org = live_server.new_org()
    for role, status in (("analyst", 200), ("agent", 403)):
        with httpx.Client(base_url=live_server.url, follow_redirects=False) as c:
            token = csrf_of(c.get("/login").text)
            c.post("/login", data={"email": add_user(live_server, org.id, role), "password": PASSWORD,
                                   "csrf": token})
            r = c.get(PAGE)
            assert r.status_code == status
            if role == "analyst":
                assert 'name="part"' not in r.text
                assert c.post(PAGE, data={"part": "quiet", "csrf": csrf_of(r.text)}).status_code == 403
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as c:
        token = csrf_of(c.get("/login").text)
        c.post("/login", data={"email": add_user(live_server, org.id, "manager"), "password": PASSWORD,
                               "csrf": token})
        token = csrf_of(c.get(PAGE).text)
        assert c.post(PAGE, data={"part": "nope", "csrf": token}).status_code == 400
        assert c.post(PAGE, data={"part": "quiet", "quiet_start": "25:00", "csrf": token}).status_code == 400
        assert c.post(PAGE, data={"part": "cap", "cap_channel": "fax", "per_day": "1",
                                  "csrf": token}).status_code == 400
        assert c.post(PAGE, data={"part": "cap", "csrf": token}).status_code == 400
    assert _org_rules(live_server, org) == {}
