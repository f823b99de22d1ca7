"""The policy over the database: layered rules through the API, the moment's intensity from the catalog, quiet
hours deferring a queued row at send time, and the stored reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from momentos.audit.service import Actor
from momentos.catalog.schemas import TouchpointCreate
from momentos.catalog.service import create_touchpoint
from momentos.notify.outbox import NotificationIn, enqueue
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.policy import service as policy
from tests.conftest import OrgHandle
from tests.notify.helpers import customer, notifications, shop
from tests.notify.receivers import Inbox


def test_rules_layer_through_the_api_and_the_customer_layer_wins(db: Session, org: OrgHandle,
                                                                 client: TestClient) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com", phone="+34600000000")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"channel_order": ["sms", "email"], "caps": {"*": {"week": 2}}}).status_code == 200
    assert client.put("/api/v1/contact-rules/services/shop?moment=delivery", headers=org.admin,
                      json={"quiet_hours": {"start": "20:00", "end": "09:00"}}).status_code == 200
    assert client.put("/api/v1/contact-rules/customers/ana", headers=org.admin,
                      json={"channel_order": ["email"]}).status_code == 200
    bad = client.put("/api/v1/contact-rules/organization", headers=org.admin, json={"caps": {"bogus": {"day": 1}}})
    assert bad.status_code == 422
    rules = policy.rules_for(db, org.id, policy.ContactAsk(ana.id, "status", service_id=_shop_id(db, org.id),
                                                           moment="delivery"))
    assert rules.channel_order == ("email",) and rules.caps == {"*": {"week": 2}}
    assert rules.quiet_start is not None and rules.quiet_start.hour == 20


def _shop_id(db: Session, org_id: int) -> int:
    from momentos.catalog.service import get_service

    return get_service(db, org_id, "shop").id


def test_moment_intensity_none_suppresses_a_proactive_notice(db: Session, org: OrgHandle) -> None:
    shop(db, org.id)
    create_touchpoint(db, org.id, "shop", TouchpointCreate(moment="use", channel="email", activities=["used_x"],
                                                           initiator="company", intensity="none"),
                                                               actor=Actor.cli("tests"))
    ana = customer(db, org.id, "ana", email="ana@example.com")
    ask = policy.ContactAsk(ana.id, "status", service_id=_shop_id(db, org.id), moment="use")
    decision = policy.evaluate(db, org.id, ask, datetime(2026, 3, 4, 12, tzinfo=UTC))
    assert decision.outcome == "suppress" and [r.code for r in decision.reasons] == ["intensity_none"]


def test_quiet_hours_that_start_after_queueing_defer_the_row_at_send_time(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    now = datetime.now(UTC)
    item = NotificationIn(customer_id=ana.id, purpose="status", template="message", dedup_key="q1",
                          params={"subject": "s", "text": "t", "customer_name": "", "status_url": ""})
    assert enqueue(db, org.id, item, now) is not None
    local = now.astimezone(UTC)  # ana's time zone is UTC: quiet from the last hour to two hours ahead
    start, end = f"{(local.hour - 1) % 24:02d}:00", f"{(local.hour + 2) % 24:02d}:00"
    client.put("/api/v1/contact-rules/organization", headers=org.admin,
               json={"quiet_hours": {"start": start, "end": end}})
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert n.status == "pending" and n.next_attempt_at.hour == (local.hour + 2) % 24 and inbox.messages == []
    decisions = client.get("/api/v1/customers/ana/contact-decisions?lang=en", headers=org.admin).json()
    assert [(d["stage"], d["outcome"]) for d in decisions] == [("send", "defer"), ("request", "send")]
    assert "Quiet hours" in decisions[0]["reasons"][-1]["message"]


def test_status_token_api_creates_and_revokes_the_link(db: Session, org: OrgHandle, client: TestClient) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana")
    process_id = client.get("/api/v1/processes?customer=ana", headers=org.admin).json()[0]["id"]
    link = client.post(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).json()
    assert len(link["token"]) >= 32 and link["url"].endswith(f"/s/{link['token']}")
    assert client.delete(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).status_code == 204
    again = client.post(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).json()
    assert again["token"] != link["token"]
