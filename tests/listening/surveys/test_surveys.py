"""Surveys at moments: entering a moment with a survey invites once (through the contact policy, counted against
the same caps), answers are stored and corrected, scores also arrive as event properties, indicators add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.audit.service import Actor
from momentos.errors import Conflict, ValidationFailed
from momentos.events.schemas import Batch
from momentos.events.service import ingest
from momentos.kit.clock import utcnow
from momentos.listening.surveys import indicators
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import AnswerIn
from momentos.models import ContactDecision, Feedback, Notification
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.policy.schemas import RuleSet
from momentos.policy.service import set_rules
from tests.conftest import OrgHandle
from tests.factories import REACTIONS, event, make_service, send
from tests.listening.helpers import delivery_survey, invitations, opted_in
from tests.notify.receivers import Inbox

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def _ship(db: Session, org_id: int, customer: str, message_id: str, at: datetime | None = None,
          happened: datetime | None = None) -> None:
    """An ``order_shipped`` event (enters ``delivery``) that happened a minute before it was received at ``at``."""
    received = at or utcnow()
    shipped = event(customer, "order_shipped", service="shop", message_id=message_id).model_copy(
        update={"timestamp": happened or received - timedelta(minutes=1)})
    ingest(db, org_id, Batch(events=[shipped]), source="api", received_at=received, reactions=REACTIONS)


def test_entering_the_moment_invites_once_and_a_replay_invites_nobody(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    opted_in(db, org.id, "ana", email="ana@example.com", now=now)
    _ship(db, org.id, "ana", "ship-1")
    _ship(db, org.id, "ana", "ship-1")  # the same event again
    [(invitation, notification)] = invitations(db, org.id)
    assert (notification.purpose, notification.template, notification.status) == ("survey", "survey", "pending")
    assert notification.params["survey_url"] == f"/f/{surveys.link_token_of(db, invitation)}"
    assert invitation.moment == "delivery" and invitation.process_id is not None
    decision = db.scalar(select(ContactDecision).where(ContactDecision.notification_id == notification.id))
    assert decision is not None and decision.outcome == "send"


def test_an_old_event_entering_the_moment_invites_nobody(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    opted_in(db, org.id, "ana", email="ana@example.com", now=now)
    _ship(db, org.id, "ana", "ship-old", happened=now - timedelta(days=400))  # e.g. an imported old log
    assert invitations(db, org.id) == []


def test_a_customer_over_the_survey_cap_gets_no_invitation(db: Session, org: OrgHandle, inbox: Inbox,
                                                         worker_factory: sessionmaker[Session]) -> None:
    delivery_survey(db, org.id, TUESDAY)
    ana = opted_in(db, org.id, "ana", email="ana@example.com", now=TUESDAY)
    set_rules(db, org.id, "org", RuleSet.model_validate({"caps": {"purpose:survey": {"week": 1}}}),
              TUESDAY, actor=Actor.cli("tests"))
    db.add(Notification(org_id=org.id, customer_id=ana.id, purpose="survey", priority="normal", template="survey",
                        params={}, dedup_key="earlier-survey", delivery_id="earlier", status="sent",
                        channel="email", next_attempt_at=TUESDAY, counted_at=TUESDAY - timedelta(hours=20),
                        created_at=TUESDAY - timedelta(hours=20)))
    db.flush()
    _ship(db, org.id, "ana", "ship-2", at=TUESDAY)
    [(_, notification)] = invitations(db, org.id)
    assert notification.status == "suppressed"
    reasons = [r["code"] for d in db.scalars(select(ContactDecision).where(
        ContactDecision.notification_id == notification.id)) for r in d.reasons]
    assert "cap_reached" in reasons and "survey_expires" in reasons  # explained: the cap, then the expiry
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=inbox.port, public_url="https://m.example")
    run(worker_factory, settings, "w1", once=True)
    assert inbox.messages  # the delivery status notice still goes out (transactional-like service message)
    assert not any("/f/" in str(m.get_payload()) for m in inbox.messages)  # but no survey invitation


def test_without_consent_for_surveys_nobody_is_invited(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    send(db, org.id, event("bo", "signed_up", service="shop"))
    _ship(db, org.id, "bo", "ship-3")
    [(_, notification)] = invitations(db, org.id)
    assert notification.status == "suppressed"  # surveys need an opt-in (the policy's default consent)


def test_answers_are_stored_corrected_and_checked(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    opted_in(db, org.id, "ana", email="ana@example.com", now=now)
    _ship(db, org.id, "ana", "ship-4")
    [(invitation, _)] = invitations(db, org.id)
    surveys.answer(db, invitation, AnswerIn(nps=6, csat=2, text="Llegó tarde"), now)
    row = surveys.answer(db, invitation, AnswerIn(nps=9, csat=4, ces=6, perception={"reliability": 5},
                                                  text="Llegó bien"), now)
    rows = db.scalars(select(Feedback).where(Feedback.org_id == org.id)).all()
    assert len(rows) == 1 and rows[0].id == row.id
    assert (row.nps, row.csat, row.ces, row.perception, row.text, row.moment) == (
        9, 4, 6, {"reliability": 5}, "Llegó bien", "delivery")
    assert invitation.answered_at is not None
    with pytest.raises(ValidationFailed):
        surveys.answer(db, invitation, AnswerIn(perception={"price": 3}), now)  # not asked by this survey
    with pytest.raises(ValueError, match="at least one"):
        AnswerIn(text="   ")
    with pytest.raises(Conflict):
        surveys.answer(db, invitation, AnswerIn(nps=1), invitation.expires_at + timedelta(seconds=1))


def test_scores_arrive_as_event_properties_once(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    batch = [event("cy", "order_shipped", service="shop", message_id="ev-1",
                   properties={"nps": 10, "comment": "Genial"}),
             event("cy", "product_used", 5, service="shop", message_id="ev-2", properties={"csat": "4"}),
             event("cy", "product_used", 6, service="shop", message_id="ev-3", properties={"nps": 11}),
             event("cy", "product_used", 7, service="shop", message_id="ev-4", properties={"csat": 7.5})]
    send(db, org.id, *batch)
    send(db, org.id, *batch)  # replayed: stored once
    rows = db.scalars(select(Feedback).where(Feedback.org_id == org.id).order_by(Feedback.external_id)).all()
    assert [(r.source, r.external_id, r.nps, r.csat, r.text, r.moment) for r in rows] == [
        ("event", "ev-1", 10, None, "Genial", "delivery"), ("event", "ev-2", None, 4, None, "use")]


def test_indicators_per_moment_with_nps_and_response_rate(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    delivery_survey(db, org.id, now)
    for i in range(4):
        opted_in(db, org.id, f"c{i}", email=f"c{i}@example.com", now=now)
        _ship(db, org.id, f"c{i}", f"ship-c{i}")
    pairs = invitations(db, org.id)
    for _, notification in pairs:
        notification.status = "sent"
    for (invitation, _), nps in zip(pairs[:3], [10, 9, 3], strict=True):
        surveys.answer(db, invitation, AnswerIn(nps=nps, csat=5 if nps > 8 else 1), now)
    result = indicators.listening_indicators(db, org.id, "shop")
    delivery = next(m for m in result.moments if m.moment == "delivery")
    assert delivery.scores.nps == pytest.approx(100 * (2 - 1) / 3, abs=0.1)
    assert delivery.scores.csat == pytest.approx((5 + 5 + 1) / 3, abs=0.001)
    assert (delivery.invited, delivery.answered, delivery.response_rate) == (4, 3, 0.75)
    assert delivery.emotion is not None and delivery.emotion > 0
    assert [m.moment for m in result.moments][:2] == ["awareness", "first_contact"]  # the 8 moments, in order
    assert result.overall.answers == 3
    year, week, _ = now.isocalendar()
    assert [(w.period, w.scores.answers) for w in delivery.weeks] == [(f"{year}-W{week:02d}", 3)]


def test_a_touchpoint_survey_invites_after_its_activities_once_a_day_per_process(db: Session,
                                                                                  org: OrgHandle) -> None:
    from momentos.catalog.service import list_touchpoints
    from momentos.listening.surveys.schemas import SurveyCreate
    from tests.listening.helpers import QUESTIONS

    now = utcnow()
    shop = make_service(db, org.id, key="shop")
    delivery = next(tp for tp in list_touchpoints(db, org.id, shop.id) if tp.moment == "delivery")
    survey = surveys.create_survey(db, org.id, SurveyCreate.model_validate({
        "key": "delivery-touchpoint", "title_es": "Tu entrega", "title_en": "Your delivery", "service": "shop",
        "touchpoint": delivery.id, "questions": QUESTIONS}), now, actor=Actor.cli("tests"))
    assert (survey.touchpoint_id, survey.moment) == (delivery.id, "delivery")
    opted_in(db, org.id, "ana", email="ana@example.com", now=now)

    def at(activity: str, minutes: int, mid: str) -> None:
        e = event("ana", activity, service="shop", message_id=mid).model_copy(
            update={"timestamp": now - timedelta(minutes=minutes)})
        ingest(db, org.id, Batch(events=[e]), source="api", received_at=now, reactions=REACTIONS)

    at("order_placed", 30, "tp-1")  # purchase: not the touchpoint
    assert invitations(db, org.id) == []
    at("order_shipped", 20, "tp-2")  # the touchpoint's first activity (enters delivery)
    at("order_delivered", 10, "tp-3")  # its second, same moment, same day: no second invitation
    [(invitation, notification)] = invitations(db, org.id)
    assert invitation.survey_id == survey.id and notification.purpose == "survey"
    assert surveys.attached(db, org.id) == {}  # not a moment-entry survey


def test_a_touchpoint_of_another_service_is_refused(db: Session, org: OrgHandle) -> None:
    from momentos.catalog.service import list_touchpoints
    from momentos.errors import NotFound
    from momentos.listening.surveys.schemas import SurveyCreate
    from tests.listening.helpers import QUESTIONS

    make_service(db, org.id, key="shop")
    other = make_service(db, org.id, key="other")
    foreign = list_touchpoints(db, org.id, other.id)[0]
    with pytest.raises(NotFound):
        surveys.create_survey(db, org.id, SurveyCreate.model_validate({
            "key": "wrong", "title_es": "x", "title_en": "x", "service": "shop", "touchpoint": foreign.id,
            "questions": QUESTIONS}), utcnow(), actor=Actor.cli("tests"))
    with pytest.raises(PydanticValidationError, match="touchpoint survey names its service and no moment"):
        SurveyCreate.model_validate({"key": "both", "title_es": "x", "title_en": "x", "service": "shop",
                                     "touchpoint": foreign.id, "moment": "delivery", "questions": QUESTIONS})
