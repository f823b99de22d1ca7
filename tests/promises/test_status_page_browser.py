"""The promises on the customer's status page, in headless Chromium: the promise text in the customer's language,
its state and the due date (in the customer's time zone), switching language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from momentos.customers.schemas import CustomerUpdate
from momentos.customers.service import get_customer, update_customer
from momentos.db import unit_of_work
from momentos.events.schemas import EventIn
from momentos.kit.clock import utcnow
from momentos.models import Process
from momentos.notify.status_tokens import ensure_token
from tests.conftest import LiveServer
from tests.factories import make_service
from tests.promises.helpers import define, send_at

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_status_page_lists_the_promise_with_state_and_due_date(page: Page, live_server: LiveServer) -> None:
    org = live_server.new_org()
    now = utcnow()
    with unit_of_work(live_server.factory) as session:
        make_service(session, org.id)
        define(session, org.id)
        send_at(session, org.id, now, EventIn(message_id="o1", customer="ana", activity="order_placed", timestamp=now))
        update_customer(session, org.id, "ana", CustomerUpdate.model_validate({"language": "es",
                                                                                "timezone": "Europe/Madrid"}))
        cid = get_customer(session, org.id, "ana").id
        pid = session.scalars(select(Process.id).where(Process.customer_id == cid)).one()
        token = ensure_token(session, org.id, pid, now)
    page.goto(f"{live_server.url}/s/{token}")
    promises = page.get_by_test_id("promises")
    expect(promises).to_contain_text("Tu pedido llega en 2 días")
    expect(promises).to_contain_text("En plazo")
    assert promises.locator("time").count() == 1
    page.locator('a[hreflang="en"]').first.click()
    expect(page.get_by_test_id("promises")).to_contain_text("Your order arrives within 2 days")
    expect(page.get_by_test_id("promises")).to_contain_text("On track")
