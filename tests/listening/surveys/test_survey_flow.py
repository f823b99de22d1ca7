"""The survey flow end to end on a live server: an event enters the moment → the contact policy → the worker
e-mails the invitation through a real SMTP server → the customer answers on a phone-sized headless Chromium
(also reachable from the status page) → the scores are in the indicators. A customer over the survey cap gets no
invitation."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from momentos.audit.service import Actor
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Notification
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.policy.schemas import RuleSet
from momentos.policy.service import set_rules
from tests.conftest import LiveServer
from tests.listening.helpers import body, delivery_survey, opted_in
from tests.notify.receivers import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _link(inbox: Inbox, path: str) -> str:
    for message in inbox.messages:
        found = re.search(rf"https?://\S+/{path}/[\w-]+", body(message))
        if found:
            return found.group(0)
    raise AssertionError(f"no /{path}/ link in {len(inbox.messages)} messages")


def test_moment_to_email_to_answer_in_chromium_to_indicators(page: Page, live_server: LiveServer,
                                                            inbox: Inbox) -> None:
    org = live_server.new_org()
    now = utcnow()
    with unit_of_work(live_server.factory) as session:
        delivery_survey(session, org.id, now, valid_hours=1)
        ana = opted_in(session, org.id, "ana", email="ana@example.com", language="es", now=now)
        bo = opted_in(session, org.id, "bo", email="bo@example.com", language="en", now=now)
        set_rules(session, org.id, "org", RuleSet.model_validate({"caps": {"purpose:survey": {"week": 1}}}), now,
            actor=Actor.cli("tests"))
        session.add(Notification(org_id=org.id, customer_id=bo.id, purpose="survey", priority="normal",
                                 template="survey", params={}, dedup_key="bo-earlier", delivery_id=f"e-{bo.id}",
                                 status="sent", channel="email", next_attempt_at=now,
                                 counted_at=now - timedelta(minutes=1), created_at=now - timedelta(minutes=1)))
        assert ana.id != bo.id
    events = [{"message_id": f"ship-{c}", "customer": c, "activity": "order_shipped", "service": "shop",
               "timestamp": now.isoformat()} for c in ("ana", "bo")]
    r = httpx.post(f"{live_server.url}/api/v1/events", json={"events": events}, headers=org.writer)
    assert r.status_code == 200, r.text

    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=inbox.port, public_url=live_server.url,
                              poll_seconds=0.05)
    run(live_server.factory, settings, "w1", once=True)
    surveys_sent = [m for m in inbox.messages if "/f/" in body(m)]
    assert [m["To"] for m in surveys_sent] == ["ana@example.com"]  # bo is over the survey cap
    assert "Tu entrega" in str(surveys_sent[0]["Subject"])
    survey_url = _link(inbox, "f")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{_link(inbox, 's')}")
    page.get_by_test_id("survey-link").click()  # the status page leads to the same survey
    assert page.url == survey_url
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("group", name="¿Nos recomendarías?").get_by_label("9", exact=True).check()
    page.get_by_role("group", name="¿Qué tal la entrega?").get_by_label("4", exact=True).check()
    page.get_by_role("group", name="¿Fue fácil?").get_by_label("6", exact=True).check()
    page.get_by_role("group", name="Cumplieron lo prometido").get_by_label("5", exact=True).check()
    page.get_by_label("¿Algo más?").fill("Muy puntuales, gracias")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.get_by_role("button", name="Enviar respuestas").click()
    expect(page.get_by_test_id("thanks")).to_contain_text("Gracias")

    r = httpx.get(f"{live_server.url}/api/v1/listening/indicators", params={"service": "shop"},
                  headers=org.admin)
    assert r.status_code == 200, r.text
    delivery = next(m for m in r.json()["moments"] if m["moment"] == "delivery")
    assert delivery["scores"]["nps"] == 100.0 and delivery["scores"]["csat"] == 4.0
    assert delivery["scores"]["ces"] == 6.0 and delivery["scores"]["perception"] == {"reliability": 5.0}
    assert (delivery["invited"], delivery["answered"], delivery["response_rate"]) == (1, 1, 1.0)
    bo_status = live_server.read(lambda s: s.scalar(select(Notification.status).where(
        Notification.org_id == org.id, Notification.customer_id == bo.id, Notification.purpose == "survey",
        Notification.dedup_key != "bo-earlier")))
    assert bo_status == "suppressed"
