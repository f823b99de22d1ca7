"""The local mailbox page (``/ops/mailbox``) in headless Chromium, in Spanish and in English: each message as its
receiver sees it — an e-mail's HTML rendered in a sandboxed frame where its scripts do not run, SMS and WhatsApp
as text — newest first, filtered by channel, linked from the navigation and from /ops; axe-core clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import MailboxMessage
from tests.conftest import LiveServer, OrgHandle
from tests.notify.helpers import customer, notifications, ship, shop
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user

pytestmark = [pytest.mark.browser, pytest.mark.live]

HTML = ("<html><body><h1>Tu pedido está en camino</h1><p id='said'>original</p>"
        "<script>document.getElementById('said').textContent = 'script ran'</script></body></html>")


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    handle = live_server.new_org()
    now = utcnow()
    with unit_of_work(live_server.factory) as session:
        shop(session, handle.id)
        customer(session, handle.id, "ana", email="ana@example.com")
        ship(session, handle.id, "ana")
        [n] = notifications(session, handle.id)
        rows = [("email", "ana@example.com", "Tu pedido", "Texto del correo", HTML),
                ("sms", "+34 600 000 001", "", "Tu pedido sale hoy. Síguelo en https://momentos.example/s/abc", None),
                ("whatsapp", "+34 600 000 001", "", "Hola Ana, tu pedido llega mañana.", None)]
        for i, (channel, address, subject, text, html) in enumerate(rows):
            session.add(MailboxMessage(org_id=handle.id, notification_id=n.id, customer_id=n.customer_id,
                                       channel=channel, address=address, purpose="status", language="es",
                                       subject=subject, text=text, html=html,
                                       delivered_at=now - timedelta(minutes=10 - i)))
    return handle


def test_staff_read_the_mailbox_as_customers_would_see_it_in_spanish(page: Page, live_server: LiveServer,
                                                                     org: OrgHandle) -> None:
    sign_in_user(page, live_server, add_user(live_server, org.id, "analyst"))
    page.goto(f"{live_server.url}/ops")
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Buzón").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buzón")
    items = page.locator("li[data-message]")
    expect(items).to_have_count(3)
    expect(items.first).to_have_attribute("data-channel", "whatsapp")  # newest first
    frame = page.locator("iframe.mail-html")
    expect(frame).to_have_attribute("sandbox", "")
    inside = page.frame_locator("iframe.mail-html")
    expect(inside.get_by_role("heading")).to_have_text("Tu pedido está en camino")
    expect(inside.locator("#said")).to_have_text("original")  # no script runs in the frame
    expect(page.locator(".bubble-sms")).to_contain_text("Tu pedido sale hoy")
    expect(page.locator('li[data-channel="email"]')).to_contain_text("ana@example.com")
    page.locator('li[data-channel="email"]').get_by_role("link", name="ana", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/customers/ana")
    page.goto(f"{live_server.url}/ops/mailbox")
    page.get_by_role("navigation", name="Canal").get_by_role("link", name="WhatsApp").click()
    expect(page.locator("li[data-message]")).to_have_count(1)
    expect(page.locator("li[data-message]")).to_have_attribute("data-channel", "whatsapp")


def test_the_mailbox_in_english_is_linked_from_ops_and_passes_axe(chromium: Browser, live_server: LiveServer,
                                                                  org: OrgHandle,
                                                                  request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["engine"] != "sqlite":
        return  # the page and its accessibility do not depend on the database (the other test runs on both)
    analyst = add_user(live_server, org.id, "analyst", language="en")
    source = axe_source()
    for lang, width in (("en", 1280), ("es", 390)):
        context = chromium.new_context(locale=lang, viewport={"width": width, "height": 844}, bypass_csp=True)
        try:
            tab = context.new_page()
            sign_in_user(tab, live_server, analyst)
            tab.goto(f"{live_server.url}/ops?lang={lang}")
            tab.locator('[data-link="mailbox"] a').click()
            expect(tab).to_have_url(f"{live_server.url}/ops/mailbox")
            if lang == "en":
                expect(tab.get_by_role("heading", level=1)).to_have_text("Mailbox")
                expect(tab.locator("[data-total]")).to_have_text("3 messages")
                expect(tab.locator("[data-local]")).to_contain_text("The local channel is off")
            assert serious_violations(tab, source) == [], lang
        finally:
            context.close()
