"""Early warning on stored feedback: five weeks of ordinary hourly mentions, then an hour where both the count and
the negative share jump → one episode, one staff alert through the outbox (delivered by the worker over real
SMTP); checking again alerts nobody twice; a campaign hour (many mentions, usual share) raises nothing."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.db import table_of
from momentos.kit.clock import utcnow
from momentos.listening.warning import service as early_warning
from momentos.models import Feedback, Notification, WarningEpisode
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from tests.conftest import OrgHandle
from tests.factories import make_service
from tests.listening.helpers import body
from tests.notify.helpers import webhook_endpoint
from tests.notify.receivers import Inbox, webhook_receiver

HOUR = timedelta(hours=1)


def _history(db: Session, org_id: int, end: datetime, spike: tuple[int, int] | None, seed: int = 7,
             service_id: int | None = None) -> None:
    """Hourly mentions for five weeks before ``end`` (busier by day), ~15 % negative; ``spike`` = (count,
    negatives) for the last hour, one mention a minute, the negatives spread evenly."""
    rng = random.Random(seed)
    start = end - early_warning.HISTORY_SEASONS * early_warning.SEASON * HOUR
    rows = []
    at = start
    while at < end:
        last = at + HOUR == end
        count, negatives = spike if (last and spike) else (rng.randint(2, 6) if 8 <= at.hour < 22 else
                                                            rng.randint(0, 2), -1)
        for i in range(count):
            negative = (i * negatives // count < (i + 1) * negatives // count if negatives >= 0
                        else rng.random() < 0.15)  # a spike's negatives spread evenly over its hour
            rows.append({"org_id": org_id, "kind": "social", "source": "x", "external_id": f"{at:%Y%m%d%H}-{i}",
                         "text": "fatal" if negative else "bien", "perception": {},
                         "occurred_at": at + timedelta(minutes=i % 60), "created_at": at,
                         "sentiment": "neg" if negative else "pos", "analyzed_at": at, "service_id": service_id})
        at += HOUR
    db.execute(table_of(Feedback).insert(), rows)
    db.flush()


def test_a_negative_spike_alerts_staff_once_by_email(db: Session, org: OrgHandle, client: TestClient,
                                                      inbox: Inbox, worker_factory: sessionmaker[Session]) -> None:
    now = early_warning.hour_floor(utcnow())
    _history(db, org.id, now, spike=(40, 32))
    r = client.put("/api/v1/listening/settings", json={"alert_email": "ops@example.com"}, headers=org.admin)
    assert r.status_code == 200, r.text
    assert early_warning.check(db, org.id, now + timedelta(minutes=5)) == 1
    assert early_warning.check(db, org.id, now + timedelta(minutes=30)) == 0  # the same hour again: nothing new
    [episode] = db.scalars(select(WarningEpisode).where(WarningEpisode.org_id == org.id)).all()
    assert (episode.scope, episode.count, episode.negatives, episode.started_at) == ("organization", 40, 32,
                                                                                      now - HOUR)
    [alert] = db.scalars(select(Notification).where(Notification.org_id == org.id,
                                                    Notification.template == "listening_alert")).all()
    assert alert.dedup_key == f"warning:organization:{(now - HOUR).isoformat()}"
    run(worker_factory, NotifySettings(smtp_host="127.0.0.1", smtp_port=inbox.port, public_url="https://m.example"),
        "w1", once=True)
    [mail] = [m for m in inbox.messages if m["To"] == "ops@example.com"]
    assert "Alerta temprana" in str(mail["Subject"]) and "fatal" in body(mail)
    listed = client.get("/api/v1/listening/alerts", headers=org.admin).json()
    assert [a["id"] for a in listed] == [episode.id]


def test_a_campaign_hour_with_the_usual_share_raises_nothing(db: Session, org: OrgHandle) -> None:
    now = early_warning.hour_floor(utcnow())
    _history(db, org.id, now, spike=(60, 8))  # many more mentions, ~13 % negative as usual
    assert early_warning.check(db, org.id, now + timedelta(minutes=5)) == 0


def test_per_service_spike_alerts_the_organizations_webhook_without_an_alert_email(
        db: Session, org: OrgHandle, worker_factory: sessionmaker[Session]) -> None:
    service = make_service(db, org.id, key="shop")
    now = early_warning.hour_floor(utcnow())
    _history(db, org.id, now, spike=(30, 25), service_id=service.id)
    with webhook_receiver() as hooks:
        hooks.secret = webhook_endpoint(db, org.id, hooks.url)
        assert early_warning.check(db, org.id, now + timedelta(minutes=1)) == 2  # the organization and the service
        scopes = sorted(e.scope for e in db.scalars(select(WarningEpisode).where(WarningEpisode.org_id == org.id)))
        assert scopes == ["organization", f"service:{service.id}"]
        run(worker_factory, NotifySettings(webhook_allow=["127.0.0.1/32"], public_url="https://m.example"), "w1",
            once=True)
        bodies = [json.loads(b) for _, b in hooks.received]
        assert sorted(b["type"] for b in bodies) == ["notification.staff_alert"] * 2
        assert any("Shop" in b["data"]["subject"] for b in bodies) and hooks.bad_signatures == 0
