"""Why was (or wasn't) this customer contacted, in headless Chromium: reached from the customer's page, every
decision with its outcome, channel, purpose, moment, time in the customer's zone, reasons in Spanish and English and
the notification's delivery state; another organization's customer gives 404."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.db import unit_of_work
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.models import ContactDecision
from momentos.notify.outbox import NotificationIn, enqueue
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.policy import service as policy
from momentos.policy.schemas import QuietHours, RuleSet
from tests.conftest import LiveServer, OrgHandle
from tests.notify.helpers import customer, ship, shop
from tests.notify.receivers import smtp_server
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]
ZONE = "Europe/Madrid"


@pytest.fixture
def org(live_server: LiveServer) -> OrgHandle:
    """Ana: a status notice delivered by the worker, a marketing message without consent (suppressed) and a
    transactional message during her quiet hours (deferred)."""
    org = live_server.new_org(timezone="America/Mexico_City")
    with unit_of_work(live_server.factory) as session:
        shop(session, org.id)
        ana = customer(session, org.id, "ana", email="ana@example.com", language="es", tz=ZONE)
        ana.name = "Ana Pérez"
        ship(session, org.id, "ana")
    with smtp_server() as inbox:
        settings = NotifySettings(smtp_port=inbox.port, public_url=live_server.url)
        run(live_server.factory, settings, "page-test", once=True)
        assert len(inbox.messages) == 1
    with unit_of_work(live_server.factory) as session:
        now = utcnow()
        enqueue(session, org.id, NotificationIn(customer_id=ana.id, purpose="marketing", template="message",
                                                dedup_key="offer", params={"subject": "Oferta", "text": "x"}), now)
        policy.set_rules(session, org.id, f"customer:{ana.id}",
                         RuleSet(quiet_hours=QuietHours.model_validate({"start": "00:00", "end": "23:59"})), now,
                             actor=Actor.cli("tests"))
        enqueue(session, org.id, NotificationIn(customer_id=ana.id, purpose="transactional", template="message",
                                                priority="transactional", dedup_key="receipt",
                                                params={"subject": "Recibo", "text": "x"}), now)
    return org


def _first_decision_time(session: Session, org_id: int) -> datetime:
    return session.scalars(select(ContactDecision.decided_at).where(ContactDecision.org_id == org_id)
                           .order_by(ContactDecision.id)).first() or utcnow()


def test_decisions_page_explains_each_contact_in_spanish_and_english(page: Page, live_server: LiveServer,
                                                                    org: OrgHandle) -> None:
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/customers/ana")
    page.get_by_role("link", name="¿Por qué se contactó (o no) a este cliente?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("¿Por qué se contactó (o no) a este cliente?")
    rows = page.get_by_test_id("decision")
    expect(rows).to_have_count(3)
    deferred, suppressed, sent = rows.nth(0), rows.nth(1), rows.nth(2)  # newest first
    expect(deferred.get_by_test_id("outcome")).to_have_text("Aplazar")
    expect(deferred.get_by_test_id("reasons")).to_contain_text("Horas de silencio en la zona horaria del cliente")
    expect(deferred.get_by_test_id("delivery")).to_contain_text("En cola")
    expect(suppressed.get_by_test_id("outcome")).to_have_text("No enviar")
    expect(suppressed.get_by_test_id("purpose")).to_have_text("Marketing")
    expect(suppressed.get_by_test_id("reasons")).to_contain_text(
        "Sin consentimiento para mensajes de marketing por correo electrónico.")
    expect(suppressed.get_by_test_id("delivery")).to_contain_text("No enviado")
    expect(sent.get_by_test_id("outcome")).to_have_text("Enviar")
    expect(sent.get_by_test_id("channel")).to_have_text("Correo electrónico")
    expect(sent.get_by_test_id("moment")).to_have_text("Entrega y prestación")
    expect(sent.get_by_test_id("reasons")).to_contain_text("Permitido por correo electrónico.")
    expect(sent.get_by_test_id("delivery")).to_contain_text("Entregado")
    decided = live_server.read(lambda s: _first_decision_time(s, org.id))
    expect(sent.locator("time").first).to_have_text(i18n.format_datetime(decided, "es", ZONE))  # her zone
    expect(page.locator(".lead")).to_contain_text(ZONE)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why was this customer contacted, or not?")
    expect(rows.nth(1).get_by_test_id("reasons")).to_contain_text("No consent for marketing messages on e-mail.")
    expect(rows.nth(2).get_by_test_id("moment")).to_have_text("Delivery")
    expect(rows.nth(2).get_by_test_id("delivery")).to_contain_text("Delivered")
    expect(rows.nth(2).locator("time").first).to_have_text(i18n.format_datetime(decided, "en", ZONE))


def test_another_organizations_customer_gives_404(page: Page, live_server: LiveServer, org: OrgHandle) -> None:
    other = live_server.new_org()
    sign_in(page, live_server, other.keys.admin_key)
    response = page.goto(f"{live_server.url}/customers/ana/contact-decisions")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("decision")).to_have_count(0)
