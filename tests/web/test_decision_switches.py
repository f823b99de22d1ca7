"""The contact-decision page shows a notification's channel switches and delivery attempts, in Spanish and English,
in headless Chromium: a customer preferring WhatsApp (no WhatsApp provider: skipped for e-mail) whose e-mail
bounces (550 from a real SMTP server) and who gets the notice by SMS (a real local provider)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from momentos.db import unit_of_work
from momentos.models import Consent
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from tests.conftest import LiveServer, OrgHandle
from tests.notify.helpers import NOON, customer, notifications, ship, shop
from tests.notify.receivers import sms_provider, smtp_server
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        shop(session, org.id)
        ana = customer(session, org.id, "ana", email="ana@example.com", phone="+34600000002", language="es")
        ana.preferred_channels = ["whatsapp"]
        session.add(Consent(org_id=org.id, customer_id=ana.id, channel="*", purpose="status", granted=True,
                            updated_at=NOON))
        ship(session, org.id, "ana")
    with smtp_server(rcpt_reply="550 5.1.1 No such user") as bouncing, sms_provider() as texts:
        settings = NotifySettings(smtp_port=bouncing.port, sms_url=texts.url, sms_channels=["sms"],
                                  public_url=live_server.url, backoff_base_seconds=0.0)
        run(live_server.factory, settings, "page-test", once=True)
        assert bouncing.refused == 1 and len(texts.received) == 1
    [n] = live_server.read(lambda s: [(x.status, x.channel) for x in notifications(s, org.id)])
    assert n == ("sent", "sms")
    return org


def test_decision_page_shows_the_channel_switches_and_attempts_in_spanish_and_english(
        page: Page, live_server: LiveServer, org: OrgHandle) -> None:
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/customers/ana/contact-decisions?lang=es")
    rows = page.get_by_test_id("decision")
    expect(rows).to_have_count(1)  # one notification, one row: its earlier decisions fold under the newest
    newest = rows.nth(0)
    earlier = newest.get_by_test_id("earlier-decision")
    expect(earlier).to_have_count(2)  # before sending (e-mail), after the bounce (SMS); newest: before sending (SMS)
    newest.get_by_test_id("earlier").locator("summary").click()
    fallback = earlier.nth(1)
    expect(fallback).to_contain_text("tras un fallo de entrega")
    expect(fallback).to_contain_text(
        "El envío por correo electrónico falló definitivamente: el servidor de correo rechazó la dirección "
        "(rebote definitivo).")
    expect(fallback.get_by_test_id("earlier-channel")).to_have_text("SMS")
    switches = newest.get_by_test_id("switch")
    expect(switches).to_have_count(2)
    expect(switches.nth(0)).to_contain_text("WhatsApp → Correo electrónico: La organización no puede enviar por "
                                            "WhatsApp")
    expect(switches.nth(1)).to_contain_text("Correo electrónico → SMS: El envío por correo electrónico falló "
                                            "definitivamente")
    attempts = newest.get_by_test_id("attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("Correo electrónico · Fallo definitivo: se cambió de canal → SMS")
    expect(attempts.nth(1)).to_contain_text("SMS · Entregado")
    expect(page.get_by_test_id("attempts")).to_have_count(1)  # on the notification's newest decision only
    for code in ("channel_failed", "channel_unavailable", "hard_bounce", "switched"):
        expect(page.locator("main")).not_to_contain_text(code)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why was this customer contacted, or not?")
    expect(switches.nth(0)).to_contain_text("WhatsApp → Email: The organization cannot send by WhatsApp")
    expect(switches.nth(1)).to_contain_text("Email → SMS: Sending by e-mail failed for good: the mail server "
                                            "refused the address (hard bounce).")
    expect(attempts.nth(0)).to_contain_text("Email · Permanent failure: switched channel → SMS")
    expect(attempts.nth(1)).to_contain_text("SMS · Delivered")
    newest.get_by_test_id("earlier").locator("summary").click()
    expect(newest.get_by_test_id("earlier-decision").nth(1)).to_contain_text("after a delivery failure")
