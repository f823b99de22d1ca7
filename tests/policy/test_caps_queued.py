"""Caps count what is already queued at decision time: concurrent and back-to-back contact requests against a cap of
2 a day give exactly 2 allowed and 1 deferred (``cap_reached``) in the answers and in the stored decisions; a
transactional contact still goes out past the cap; the worker sending a queued notification does not count it
against itself; contacts deferred to later in the period count in it, those deferred past it do not."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.audit.service import Actor
from momentos.db import unit_of_work
from momentos.models import ContactDecision, Notification
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.policy.engine import Facts, Rules, decide, zone
from momentos.policy.schemas import RuleSet
from momentos.policy.service import set_rules
from tests.conftest import LiveServer, OrgHandle
from tests.listening.helpers import delivery_survey, opted_in
from tests.notify.helpers import customer, notifications, ship, shop
from tests.notify.receivers import Inbox

WEDNESDAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
EMAIL = frozenset({"email"})


def _contact(i: int, **extra: Any) -> dict[str, Any]:
    return {"customer": "ana", "purpose": "status", "subject": f"s{i}", "text": "t", "dedup_key": f"c{i}", **extra}


def _next_utc_midnight(at: datetime) -> datetime:
    return datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=UTC)


def _check_two_allowed_one_deferred(answers: list[dict[str, Any]], stored: list[tuple[int, str, list[str]]]) -> None:
    """Exactly two answers ``send`` (pending now) and one ``defer`` with ``cap_reached`` until the next local day;
    the stored request-time decisions say the same, notification by notification."""
    outcomes = sorted(a["decision"]["outcome"] for a in answers)
    assert outcomes == ["defer", "send", "send"], answers
    [deferred] = [a for a in answers if a["decision"]["outcome"] == "defer"]
    assert "cap_reached" in deferred["decision"]["reasons"] and deferred["decision"]["channel"] is None
    until = datetime.fromisoformat(deferred["decision"]["defer_until"])
    assert until == _next_utc_midnight(datetime.fromisoformat(deferred["created_at"]))  # ana's zone is UTC
    assert datetime.fromisoformat(deferred["next_attempt_at"]) == until and deferred["status"] == "pending"
    for a in answers:
        if a["decision"]["outcome"] == "send":
            assert a["status"] == "pending" and a["channel"] == "email" and "allowed" in a["decision"]["reasons"]
            assert a["next_attempt_at"] == a["created_at"]  # pending now
    assert sorted((nid, outcome) for nid, outcome, _ in stored) == sorted(
        (a["id"], a["decision"]["outcome"]) for a in answers)
    assert [codes for _, outcome, codes in stored if outcome == "defer"] == [deferred["decision"]["reasons"]]


def _request_decisions(session: Session, org_id: int) -> list[tuple[int, str, list[str]]]:
    rows = session.scalars(select(ContactDecision).where(ContactDecision.org_id == org_id,
                                                         ContactDecision.stage == "request"))
    return [(d.notification_id or 0, d.outcome, [r["code"] for r in d.reasons]) for d in rows]


def test_three_concurrent_requests_against_a_cap_of_two_give_two_allowed_and_one_deferred(
        live_server: LiveServer) -> None:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        shop(session, org.id)
        customer(session, org.id, "ana", email="ana@example.com")
        set_rules(session, org.id, "org", RuleSet.model_validate({"caps": {"*": {"day": 2}}}), WEDNESDAY,
            actor=Actor.cli("tests"))
    barrier = threading.Barrier(3)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def post(i: int) -> None:
        try:
            with httpx.Client(base_url=live_server.url, timeout=60, trust_env=False) as http:
                barrier.wait(timeout=30)  # the three requests leave together, each on its own connection
                r = http.post("/api/v1/contacts", json=_contact(i), headers=org.admin)
                assert r.status_code == 202, r.text
                answers.append(r.json())
        except BaseException as exc:  # kept for the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not errors, errors
    stored = live_server.read(lambda s: _request_decisions(s, org.id))
    _check_two_allowed_one_deferred(answers, stored)

    def counted(session: Session) -> list[bool]:
        return [n.counted_at is not None
                for n in session.scalars(select(Notification).where(Notification.org_id == org.id))]

    assert sorted(live_server.read(counted)) == [False, True, True]  # the two allowed hold their places


def test_three_requests_in_a_row_against_a_cap_of_two_give_two_allowed_and_one_deferred(
        db: Session, org: OrgHandle, client: TestClient) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"caps": {"*": {"day": 2}}}).status_code == 200
    answers = []
    for i in range(3):
        r = client.post("/api/v1/contacts", json=_contact(i), headers=org.admin)
        assert r.status_code == 202, r.text
        answers.append(r.json())
    assert [a["decision"]["outcome"] for a in answers] == ["send", "send", "defer"]
    _check_two_allowed_one_deferred(answers, _request_decisions(db, org.id))
    again = client.post("/api/v1/contacts", json=_contact(0), headers=org.admin).json()  # same dedup key
    assert again["id"] == answers[0]["id"] and again["decision"]["outcome"] == "send"
    explained = client.get("/api/v1/customers/ana/contact-decisions?lang=en", headers=org.admin).json()
    assert explained[0]["outcome"] == "defer"
    assert any(r["message"].startswith("Frequency cap reached") for r in explained[0]["reasons"])


def test_a_transactional_contact_goes_out_past_the_cap_and_the_deferred_one_waits(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"caps": {"*": {"day": 2}}}).status_code == 200
    outcomes = [client.post("/api/v1/contacts", json=_contact(i), headers=org.admin).json()["decision"]["outcome"]
                for i in range(3)]
    assert outcomes == ["send", "send", "defer"]
    receipt = client.post("/api/v1/contacts", headers=org.admin,
                          json=_contact(9, purpose="transactional", priority="transactional", subject="receipt"))
    decision = receipt.json()["decision"]
    assert (decision["outcome"], decision["channel"]) == ("send", "email") and "caps_bypassed" in decision["reasons"]
    run(worker_factory, notify_settings, "w1", once=True)
    assert sorted(str(m["Subject"]) for m in inbox.messages) == ["receipt", "s0", "s1"]
    rows = notifications(db, org.id)
    assert [n.status for n in rows] == ["sent", "sent", "pending", "sent"]
    send_stage = db.scalars(select(ContactDecision).where(ContactDecision.org_id == org.id,
                                                          ContactDecision.stage == "send")).all()
    assert sorted(d.outcome for d in send_stage) == ["send", "send", "send"]  # the worker agrees: nothing re-deferred


def test_the_worker_does_not_count_a_queued_notification_against_itself(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"caps": {"*": {"day": 1}}}).status_code == 200
    answer = client.post("/api/v1/contacts", json=_contact(0), headers=org.admin).json()
    assert answer["decision"]["outcome"] == "send"
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert n.status == "sent" and [str(m["Subject"]) for m in inbox.messages] == ["s0"]
    decisions = client.get("/api/v1/customers/ana/contact-decisions", headers=org.admin).json()
    assert [(d["stage"], d["outcome"]) for d in decisions] == [("send", "send"), ("request", "send")]


def test_a_notice_queued_by_ingestion_counts_at_request_time_and_is_sent_by_the_worker(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"caps": {"channel:email": {"day": 1}}}).status_code == 200
    assert ship(db, org.id, "ana") == 1  # a status notice, queued in bulk, decided by the worker
    answer = client.post("/api/v1/contacts", json=_contact(0), headers=org.admin).json()
    assert answer["decision"]["outcome"] == "defer" and "cap_reached" in answer["decision"]["reasons"]
    run(worker_factory, notify_settings, "w1", once=True)
    notice, contact = notifications(db, org.id)
    assert (notice.status, notice.channel, contact.status) == ("sent", "email", "pending")
    assert len(inbox.messages) == 1 and contact.next_attempt_at > notice.sent_at  # type: ignore[operator]


def test_a_contact_held_by_quiet_hours_until_later_today_counts_today(
        db: Session, org: OrgHandle, client: TestClient) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    now = datetime.now(UTC)
    # a zone where quiet hours from this hour to two hours later end the same local day
    ana.timezone = next(tz for tz in ("UTC", "Pacific/Honolulu", "Asia/Tokyo") if now.astimezone(zone(tz)).hour < 21)
    db.flush()
    hour = now.astimezone(zone(ana.timezone)).hour
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin, json={
        "caps": {"*": {"day": 1}}, "quiet_hours": {"start": f"{hour:02d}:00", "end": f"{hour + 2:02d}:00"}},
                      ).status_code == 200
    first = client.post("/api/v1/contacts", json=_contact(0), headers=org.admin).json()["decision"]
    assert (first["outcome"], first["channel"], first["reasons"][-1]) == ("defer", "email", "quiet_hours")
    second = client.post("/api/v1/contacts", json=_contact(1), headers=org.admin).json()["decision"]
    assert second["outcome"] == "defer" and "cap_reached" in second["reasons"]  # the first holds today's slot
    held, capped = notifications(db, org.id)
    assert held.counted_at == held.next_attempt_at and capped.counted_at is None  # its place: when quiet hours end


def test_queued_contacts_count_in_the_period_they_fall_in() -> None:
    caps = Rules(caps={"*": {"day": 1, "week": 2}})
    later_today = WEDNESDAY + timedelta(hours=3)
    tomorrow = WEDNESDAY + timedelta(days=1)
    facts = Facts(purpose="status", addresses=EMAIL, queued=[(later_today, "email", "status")])
    d = decide(facts, caps, WEDNESDAY)
    assert d.outcome == "defer" and d.reasons[0].params["period"] == "day"
    assert d.until == _next_utc_midnight(WEDNESDAY)
    facts = Facts(purpose="status", addresses=EMAIL, queued=[(tomorrow, "email", "status")])
    assert decide(facts, caps, WEDNESDAY).outcome == "send"  # tomorrow's contact is not today's
    facts = Facts(purpose="status", addresses=EMAIL, sent=[(WEDNESDAY - timedelta(days=1), "email", "status")],
                  queued=[(tomorrow, "email", "status")])
    d = decide(facts, caps, WEDNESDAY)
    assert d.outcome == "defer" and d.reasons[0].params["period"] == "week"  # but it is this week's


def test_a_queued_contact_without_a_channel_counts_on_the_one_it_would_take() -> None:
    rules = Rules(caps={"channel:email": {"day": 1}})
    undecided = [(WEDNESDAY, "", "status")]
    both = frozenset({"email", "sms"})
    d = decide(Facts(purpose="status", addresses=both, queued=undecided), rules, WEDNESDAY)
    assert (d.outcome, d.channel) == ("send", "sms")  # the notice will take e-mail: this one goes by SMS
    no_email_consent = {("email", "status"): False}
    d = decide(Facts(purpose="marketing", addresses=both, queued=undecided, consents={
        **no_email_consent, ("*", "marketing"): True}), rules, WEDNESDAY)
    assert (d.outcome, d.channel) == ("send", "email")  # the notice has no e-mail consent: it will go by SMS


def test_two_concurrent_survey_invitations_against_a_cap_of_one_invite_once(live_server: LiveServer) -> None:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        delivery_survey(session, org.id, WEDNESDAY, valid_hours=1)
        opted_in(session, org.id, "ana", email="ana@example.com", now=WEDNESDAY)
        set_rules(session, org.id, "org", RuleSet.model_validate({"caps": {"purpose:survey": {"week": 1}}}),
                  WEDNESDAY, actor=Actor.cli("tests"))
    barrier = threading.Barrier(2)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def post(i: int) -> None:
        try:
            with httpx.Client(base_url=live_server.url, timeout=60, trust_env=False) as http:
                barrier.wait(timeout=30)
                r = http.post("/api/v1/surveys/after-delivery/invitations", headers=org.admin,
                              json={"customer": "ana", "dedup_key": f"i{i}"})
                assert r.status_code == 202, r.text
                statuses.append(r.json()["notification_status"])
        except BaseException as exc:  # kept for the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not errors, errors
    assert "pending" in statuses and len(statuses) == 2
    stored = live_server.read(lambda s: _request_decisions(s, org.id))
    # one invitation allowed; the other deferred by the cap (then, as it would wait past its expiry, suppressed)
    assert sorted(o for _, o, _ in stored if o != "suppress") == ["defer", "send"]
    assert "cap_reached" in next(codes for _, o, codes in stored if o == "defer")

    def counted(session: Session) -> list[bool]:
        return sorted(n.counted_at is not None
                      for n in session.scalars(select(Notification).where(Notification.org_id == org.id)))

    assert live_server.read(counted) == [False, True]
