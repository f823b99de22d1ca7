"""The overview's alerts name their service and count each thing once: every broken promise of the last 7 days per
service (45 of one service and 1 of another, not two lines of 1), an early-warning spike's mentions once (not once
per scope that alarmed), identical lines merged; an alert opens its own page with the episode's mentions and
timeline. The /ops outbox pages past 100 notifications and replays all of a status, from the page and the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.dashboard.overview import Alert, alerts
from momentos.dashboard.sources import alert_sources
from momentos.kit.clock import utcnow
from momentos.models import AuditEntry, Customer, Feedback, Notification, PromiseInstance, Service, WarningEpisode
from momentos.notify import outbox
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service, send
from tests.promises.helpers import define, send_at
from tests.web.seed import csrf_of, sign_in


def _broken_promises(db: Session, org: OrgHandle) -> tuple[Service, Service]:
    """46 promises broken yesterday: 45 of the shop (5 of them put right since), 1 of the rental service."""
    shop, rent = make_service(db, org.id), make_service(db, org.id, key="rent", touchpoints={})
    define(db, org.id)
    send_at(db, org.id, T0, *[event(f"c{i}", "order_placed", i) for i in range(46)])
    ids = list(db.scalars(select(PromiseInstance.id).where(PromiseInstance.org_id == org.id)
                          .order_by(PromiseInstance.id)))
    assert len(ids) == 46
    yesterday = utcnow() - timedelta(days=1)
    db.execute(update(PromiseInstance).where(PromiseInstance.id.in_(ids)).values(
        state="broken", closed_at=yesterday, stopped_at=None))
    db.execute(update(PromiseInstance).where(PromiseInstance.id.in_(ids[:5])).values(stopped_at=utcnow()))
    db.execute(update(PromiseInstance).where(PromiseInstance.id == ids[-1]).values(service_id=rent.id))
    db.flush()
    return shop, rent


def test_broken_promise_alerts_name_their_service_and_count_every_broken_promise(db: Session,
                                                                                 org: OrgHandle) -> None:
    _broken_promises(db, org)
    found = [a for a in alerts(db, org.id, alert_sources()) if a.kind == "broken_promises"]
    assert [(a.service.key if a.service else None, a.count, a.owed) for a in found] == [("shop", 45, 40),
                                                                                        ("rent", 1, 1)]
    assert found[0].href == "/services/shop/map" and found[1].href == "/services/rent/map"


def test_the_overview_page_shows_one_line_per_service_with_its_name(client: TestClient, db: Session,
                                                                    org: OrgHandle) -> None:
    _broken_promises(db, org)
    sign_in(client, org.keys.admin_key)
    html = client.get("/overview?lang=en").text
    assert html.count('data-alert="broken_promises"') == 2
    assert 'data-service="shop"><a href="/services/shop/map">Promises not kept (last 7 days)</a>' in html
    assert '<strong data-figure="count">45</strong> <span class="muted">(40 still owed)</span>' in html
    assert '<strong data-figure="count">1</strong> <span class="muted">(1 still owed)</span>' in html


def _spike(db: Session, org: OrgHandle, mentions: int) -> tuple[WarningEpisode, WarningEpisode]:
    """``mentions`` negative comments on the shop in one hour, and the two episodes detection opens for them: one
    for the shop's series and one for the organization's (which counts the same comments)."""
    service = make_service(db, org.id)
    send(db, org.id, event("ana", "signed_up"))
    ana = db.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == "ana"))
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    db.add_all([Feedback(org_id=org.id, kind="comment", source="test", external_id=f"s{i}",
                         text=f"the app lost my order {i}", service_id=service.id, customer_id=ana,
                         sentiment="neg", perception={}, occurred_at=hour + timedelta(minutes=i % 60),
                         created_at=utcnow()) for i in range(mentions)])
    episodes = [WarningEpisode(org_id=org.id, scope=scope, service_id=sid, started_at=hour, last_hour_at=hour,
                               count=mentions, negatives=mentions, detail={"expected_count": 2.5},
                               created_at=utcnow())
                for scope, sid in ((f"service:{service.id}", service.id), ("organization", None))]
    db.add_all(episodes)
    db.flush()
    return episodes[0], episodes[1]


def test_an_early_warning_spike_counts_each_mention_once_and_names_its_service(db: Session,
                                                                               org: OrgHandle) -> None:
    mine, whole = _spike(db, org, 32)
    found = [a for a in alerts(db, org.id, alert_sources()) if a.kind == "early_warning"]
    # the organization's episode covers the same 32 comments: shown beside the shop's, they were 64
    assert [(a.service.key if a.service else None, a.count, a.href) for a in found] == [
        ("shop", 32, f"/alerts/{mine.id}")]
    # an organization-wide episode that no service episode overlaps is shown, naming no service
    whole.started_at = whole.last_hour_at = mine.started_at - timedelta(hours=5)
    db.flush()
    found = [a for a in alerts(db, org.id, alert_sources()) if a.kind == "early_warning"]
    assert [(a.service.key if a.service else None, a.count) for a in found] == [("shop", 32), (None, 0)]


def test_identical_alert_lines_are_merged(db: Session, org: OrgHandle) -> None:
    def twice(_db: Session, _org_id: int) -> list[Alert]:
        return [Alert("broken_promises", "Promises not kept (last 7 days)", 1, "/x")] * 2

    (line,) = alerts(db, org.id, (twice,))
    assert line.count == 2


def test_an_alert_opens_its_page_with_every_mention_and_the_timeline(client: TestClient, db: Session,
                                                                     org: OrgHandle, other_org: OrgHandle) -> None:
    mine, _ = _spike(db, org, 7)
    sign_in(client, org.keys.admin_key)
    html = client.get(f"/alerts/{mine.id}?lang=en").text
    assert html.count("data-mention=") == 7 and "the app lost my order 6" in html
    assert '<a href="/customers/ana">ana</a>' in html
    assert '<div data-figure="negatives"><dt>Negative comments in the episode</dt><dd>7</dd>' in html
    assert 'id="chart-timeline"' in html and "<title id=\"chart-timeline-title\">Mentions per hour</title>" in html
    assert "Spike of negative comments: Shop" in html
    assert "Pico de comentarios negativos: Shop" in client.get(f"/alerts/{mine.id}?lang=es").text
    # another organization's alert, or none: 404, never a 500
    sign_in(client, other_org.keys.admin_key)
    assert client.get(f"/alerts/{mine.id}").status_code == 404
    assert client.get("/alerts/99999999999999999999").status_code in (404, 422)


def _dead(db: Session, org_id: int, n: int) -> None:
    outbox.enqueue_many(db, org_id, [outbox.NotificationIn(None, "transactional", "generic", f"dead-{org_id}-{i}",
                                                           {"subject": "s", "text": "t"}) for i in range(n)],
                        utcnow())
    db.execute(update(Notification).where(Notification.org_id == org_id).values(status="dead", attempts=5))
    db.flush()


def _statuses(db: Session, org_id: int) -> dict[str, int]:
    db.expire_all()
    rows = db.scalars(select(Notification.status).where(Notification.org_id == org_id))
    out: dict[str, int] = {}
    for s in rows:
        out[s] = out.get(s, 0) + 1
    return out


def test_ops_pages_past_100_dead_notifications_and_retries_them_all(client: TestClient, db: Session,
                                                                    org: OrgHandle, other_org: OrgHandle) -> None:
    _dead(db, org.id, 150)
    _dead(db, other_org.id, 3)
    sign_in(client, org.keys.admin_key)
    first = client.get("/ops?status=dead&lang=en").text
    assert first.count("data-notification=") == 100 and "150 notifications" in first and "Page 1 of 2" in first
    second = client.get("/ops?status=dead&page=2&lang=en").text
    assert second.count("data-notification=") == 50 and 'rel="prev"' in second
    assert client.get("/ops?status=dead&page=99").text.count("data-notification=") == 50  # clamped
    assert "Retry all (150)" in first
    r = client.post("/ops/notifications/replay-all", data={"csrf": csrf_of(first), "status": "dead"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ops?status=dead&replayed=150"
    assert _statuses(db, org.id) == {"pending": 150}
    assert _statuses(db, other_org.id) == {"dead": 3}
    replays = db.scalars(select(AuditEntry.target).where(AuditEntry.org_id == org.id,
                                                         AuditEntry.action == "notification.replay")).all()
    assert len(replays) == 150
    shown = client.get(r.headers["location"] + "&lang=en").text
    assert 'data-replayed="150"' in shown and "150 notifications queued again." in shown
    # a status that cannot be replayed, or an expired form: 400 with the error format, nothing replayed
    bad = client.post("/ops/notifications/replay-all", data={"csrf": csrf_of(first), "status": "sent"},
                      headers={"accept": "application/json"})
    assert bad.status_code == 400
    assert client.post("/ops/notifications/replay-all", data={"csrf": "x"}).status_code == 400


def test_the_api_replays_every_dead_notification_in_batches(client: TestClient, db: Session, org: OrgHandle,
                                                            other_org: OrgHandle) -> None:
    _dead(db, org.id, 120)
    _dead(db, other_org.id, 2)
    r = client.post("/api/v1/ops/notifications/replay", headers=org.admin, json={})
    assert r.status_code == 200 and r.json() == {"status": "dead", "replayed": 120}
    assert _statuses(db, org.id) == {"pending": 120} and _statuses(db, other_org.id) == {"dead": 2}
    db.execute(update(Notification).where(Notification.org_id == org.id).values(status="dead"))
    assert outbox.replay_all(db, org.id, "dead", utcnow(), actor=Actor.cli("tests"), batch=7) == 120
    assert _statuses(db, org.id) == {"pending": 120}
    again = client.post("/api/v1/ops/notifications/replay", headers=org.admin, json={"status": "suppressed"})
    assert again.json() == {"status": "suppressed", "replayed": 0}
    wrong = client.post("/api/v1/ops/notifications/replay", headers=org.admin, json={"status": "sent"})
    assert wrong.status_code == 422 and {"code", "message", "detail"} <= set(wrong.json())
