"""The customer's status page in headless Chromium: the moment now and next, the history and the channels to
reach the company in the customer's language, the language switch, feedback, a phone-sized screen; revoked,
unknown and other-organization tokens show nothing (404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.customers.schemas import CustomerUpdate
from momentos.customers.service import get_customer, update_customer
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Feedback, Process, StatusFeedback
from momentos.notify.status_tokens import ensure_token, revoke
from tests.conftest import LiveServer
from tests.factories import event, make_service, send

pytestmark = [pytest.mark.browser, pytest.mark.live]


@dataclass
class Seeded:
    token: str
    process_id: int
    other_token: str


def _process(session: Session, org_id: int, customer: str) -> Process:
    cid = get_customer(session, org_id, customer).id
    return session.execute(select(Process).where(Process.org_id == org_id, Process.customer_id == cid)).scalar_one()


def _seed_org(session: Session, org_id: int, customer: str, language: str, activities: list[str]) -> str:
    make_service(session, org_id, key="shop")
    send(session, org_id, *(event(customer, a, i * 10, service="shop") for i, a in enumerate(activities)))
    update_customer(session, org_id, customer, CustomerUpdate.model_validate({"language": language}))
    return ensure_token(session, org_id, _process(session, org_id, customer).id, utcnow())


@pytest.fixture
def seeded(live_server: LiveServer) -> Seeded:
    org, other = live_server.new_org(), live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        token = _seed_org(session, org.id, "ana", "es", ["signed_up", "order_placed", "order_shipped"])
        other_token = _seed_org(session, other.id, "zoe", "en", ["ticket_opened"])
        return Seeded(token, _process(session, org.id, "ana").id, other_token)


def test_status_page_in_the_customer_language_with_switch_and_feedback(page: Page, live_server: LiveServer,
                                                                      seeded: Seeded) -> None:
    page.goto(f"{live_server.url}/s/{seeded.token}")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_test_id("current")).to_have_text("Entrega y prestación")
    expect(page.get_by_test_id("next")).to_have_text("Uso y experiencia")
    expect(page.get_by_test_id("history").locator(".history-moment")).to_have_text(
        ["Primer contacto", "Decisión y compra", "Entrega y prestación"])
    expect(page.get_by_role("heading", name="Cómo contactarnos")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_test_id("current")).to_have_text("Delivery")
    expect(page.get_by_test_id("next")).to_have_text("Use")
    page.get_by_label("Your message").fill("Where is my parcel?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    feedback: Callable[[Session], list[tuple[str | None, str, str]]] = lambda s: [  # noqa: E731
        (f.moment, f.text, f.language) for f in s.scalars(select(StatusFeedback).where(
            StatusFeedback.process_id == seeded.process_id))]
    assert live_server.read(feedback) == [("delivery", "Where is my parcel?", "en")]
    listened: Callable[[Session], list[tuple[str, str | None, str | None]]] = lambda s: [  # noqa: E731
        (f.source, f.moment, f.text) for f in s.scalars(select(Feedback).where(
            Feedback.process_id == seeded.process_id))]
    assert live_server.read(listened) == [("status_page", "delivery", "Where is my parcel?")]  # joins listening


def test_other_organization_shows_its_own_process_and_english_by_customer_language(
        page: Page, live_server: LiveServer, seeded: Seeded) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/s/{seeded.other_token}")
    assert page.locator("html").get_attribute("lang") == "en"  # the customer's language beats the browser's es-MX
    expect(page.get_by_test_id("current")).to_have_text("Support")
    expect(page.get_by_test_id("history").locator(".history-moment")).to_have_text(["Support"])


def test_revoked_unknown_and_malformed_tokens_are_not_found(page: Page, live_server: LiveServer,
                                                            seeded: Seeded) -> None:
    with unit_of_work(live_server.factory) as session:
        revoke(session, seeded.process_id, utcnow())
    for token in (seeded.token, "x" * 32, "x" * 200):
        response = page.goto(f"{live_server.url}/s/{token}")
        assert response is not None and response.status == 404
        expect(page.locator("body")).not_to_contain_text("Entrega")


def test_status_page_fits_a_phone_screen(page: Page, live_server: LiveServer, seeded: Seeded) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/s/{seeded.token}")
    expect(page.get_by_test_id("current")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
