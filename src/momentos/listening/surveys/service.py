"""Surveys: definitions, invitations (through the one contact policy and the outbox), answers. Never commits.

An invitation is a notification of purpose ``survey`` (so survey fatigue counts against the same caps as every
other contact) whose link is ``/f/<token>``. The policy decides at once; an invitation the policy would only let
out after the survey expires is suppressed (a late survey is worse than none), and the notification carries its
expiry so the worker drops it too if, at send time, the policy defers it past that point.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.catalog import service as catalog
from momentos.db import session_link_key
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.ids import digest, link_token, new_nonce
from momentos.listening.surveys.schemas import AnswerIn, SurveyCreate, SurveyResponseIn, SurveyUpdate
from momentos.models import Customer, Feedback, Organization, Process, Survey, SurveyInvitation, Touchpoint
from momentos.notify import outbox
from momentos.policy import service as policy
from momentos.policy.engine import Decision, Reason

TOKEN_MAX = 64
LINK_PURPOSE = "survey"


def create_survey(session: Session, org_id: int, data: SurveyCreate, now: datetime, *, actor: Actor) -> Survey:
    if session.scalar(select(Survey.id).where(Survey.org_id == org_id, Survey.key == data.key)) is not None:
        raise Conflict("A survey with that key exists.", code="survey_exists", detail={"key": data.key})
    service_id = touchpoint_id = None
    moment = data.moment
    if data.service is not None and data.touchpoint is not None:
        service = catalog.get_service(session, org_id, data.service)
        tp = session.get(Touchpoint, data.touchpoint)
        if tp is None or tp.org_id != org_id or tp.service_id != service.id:
            raise NotFound("Touchpoint not found in that service.", code="touchpoint_not_found",
                           detail={"service": data.service, "touchpoint": data.touchpoint})
        service_id, touchpoint_id, moment = service.id, tp.id, tp.moment
    elif data.service is not None and data.moment is not None:
        service = catalog.get_service(session, org_id, data.service)
        model = catalog.get_journey_model(session, org_id, service.journey_model_key)
        if not model.has(data.moment):
            raise ValidationFailed("The moment is not in the service's journey model.", code="unknown_moment",
                                   detail={"moment": data.moment})
        service_id = service.id
    survey = Survey(org_id=org_id, key=data.key, title_es=data.title_es, title_en=data.title_en,
                    service_id=service_id, moment=moment, touchpoint_id=touchpoint_id, valid_hours=data.valid_hours,
                    active=True,
                    questions=[q.model_dump() for q in data.questions], created_at=now)
    session.add(survey)
    session.flush()
    catalog.catalog_changed(session, org_id)  # the survey reaction's cached triggers are renewed
    record(session, org_id, actor, "survey.create", f"survey:{survey.key}",
           after={"title_es": survey.title_es, "title_en": survey.title_en, "service": data.service,
                  "moment": moment, "touchpoint": touchpoint_id, "valid_hours": survey.valid_hours,
                  "questions": [q.kind for q in data.questions]})
    return survey


def get_survey(session: Session, org_id: int, key: str) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.org_id == org_id, Survey.key == key))
    if survey is None:
        raise NotFound("Survey not found.", code="survey_not_found", detail={"key": key})
    return survey


def _audited(survey: Survey) -> dict[str, Any]:
    return {"title_es": survey.title_es, "title_en": survey.title_en, "valid_hours": survey.valid_hours,
            "active": survey.active, "questions": [f"{q['kind']}:{q['key']}" for q in survey.questions]}


def update_survey(session: Session, org_id: int, key: str, data: SurveyUpdate, *, actor: Actor) -> Survey:
    """Change a survey's titles, questions, validity or whether it is sent; recorded in the audit log with the fields
    that changed. Answers already stored keep the items they answered (under their keys)."""
    survey = get_survey(session, org_id, key)
    before = _audited(survey)
    if data.title_es is not None:
        survey.title_es = data.title_es
    if data.title_en is not None:
        survey.title_en = data.title_en
    if data.questions is not None:
        survey.questions = [q.model_dump() for q in data.questions]
    if data.valid_hours is not None:
        survey.valid_hours = data.valid_hours
    if data.active is not None and data.active != survey.active:
        survey.active = data.active
        catalog.catalog_changed(session, org_id)  # the survey reaction's cached triggers are renewed
    session.flush()
    record_change(session, org_id, actor, "survey.update", f"survey:{survey.key}", before=before,
                  after=_audited(survey))
    return survey


def perception_items(survey: Survey) -> list[dict[str, Any]]:
    """The survey's perception items (``key``, ``kind``, ``label``), in the order they are asked."""
    return [q for q in survey.questions if q["kind"] == "perception"]


def with_item(questions: Sequence[dict[str, Any]], key: str,
              label: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """The questions with a new perception item, asked before the free-text question (when there is one), and the
    new item's index."""
    out = [dict(q) for q in questions]
    at = next((i for i, q in enumerate(out) if q["kind"] == "text"), len(out))
    out.insert(at, {"key": key, "kind": "perception", "label": dict(label)})
    return out, at


def relabelled(questions: Sequence[dict[str, Any]], key: str, label: dict[str, str]) -> list[dict[str, Any]]:
    """The questions with the perception item ``key`` asked with another label (NotFound when there is none)."""
    if not any(q["key"] == key and q["kind"] == "perception" for q in questions):
        raise NotFound("Perception item not found.", code="item_not_found", detail={"item": key})
    return [{**q, "label": dict(label)} if q["key"] == key else dict(q) for q in questions]


def without_item(questions: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The questions without the perception item ``key`` (NotFound when there is none)."""
    if not any(q["key"] == key and q["kind"] == "perception" for q in questions):
        raise NotFound("Perception item not found.", code="item_not_found", detail={"item": key})
    return [dict(q) for q in questions if q["key"] != key]


def list_surveys(session: Session, org_id: int) -> Sequence[Survey]:
    return session.scalars(select(Survey).where(Survey.org_id == org_id).order_by(Survey.key)).all()


def attached(session: Session, org_id: int) -> dict[tuple[int, str], Survey]:
    """Active surveys attached to a (service, moment): entering it invites."""
    rows = session.scalars(select(Survey).where(Survey.org_id == org_id, Survey.active.is_(True),
                                                Survey.service_id.is_not(None), Survey.moment.is_not(None),
                                                Survey.touchpoint_id.is_(None)))
    return {(s.service_id, s.moment): s for s in rows if s.service_id is not None and s.moment is not None}


def by_activity(session: Session, org_id: int) -> dict[tuple[int, str], Survey]:
    """Active surveys attached to a touchpoint, by (service, activity) of the touchpoint's activities."""
    out: dict[tuple[int, str], Survey] = {}
    for survey, tp in session.execute(select(Survey, Touchpoint).join(Touchpoint, Touchpoint.id == Survey.touchpoint_id)
                                      .where(Survey.org_id == org_id, Survey.active.is_(True))
                                      .order_by(Survey.id)):
        for activity in tp.activities:
            out.setdefault((tp.service_id, activity), survey)
    return out


def invite(session: Session, org_id: int, survey: Survey, customer_id: int, dedup_key: str, now: datetime, *,
           process_id: int | None = None, service_id: int | None = None,
           moment: str | None = None) -> SurveyInvitation | None:
    """Queue an invitation (policy decided now); None when one with the same dedup key exists already."""
    nonce = new_nonce()
    token = link_token(session_link_key(session), LINK_PURPOSE, nonce)
    expires_at = now + timedelta(hours=survey.valid_hours)
    customer = session.get_one(Customer, customer_id)
    org = session.get_one(Organization, org_id)
    params: dict[str, Any] = {"org_name": org.name, "customer_name": customer.name or "",
                              "survey_title": {"es": survey.title_es, "en": survey.title_en},
                              "survey_url": f"/f/{token}", "expires_at": expires_at.isoformat()}
    item = outbox.NotificationIn(customer_id=customer_id, purpose="survey", template="survey",
                                 dedup_key=f"survey:{dedup_key}", params=params, process_id=process_id,
                                 service_id=service_id if service_id is not None else survey.service_id,
                                 moment=moment if moment is not None else survey.moment)
    notification = outbox.enqueue(session, org_id, item, now)
    if notification is None:
        return None
    if notification.status == "pending" and notification.next_attempt_at > expires_at:
        notification.status = "suppressed"
        ask = policy.ContactAsk(customer_id, "survey", service_id=item.service_id, moment=item.moment)
        policy.record(session, org_id, ask, Decision("suppress", reasons=(
            Reason("survey_expires", {"until": notification.next_attempt_at.isoformat(),
                                      "expires": expires_at.isoformat()}),)), now, stage="request",
                      notification_id=notification.id)
    invitation = SurveyInvitation(org_id=org_id, survey_id=survey.id, customer_id=customer_id, process_id=process_id,
                                  service_id=item.service_id, moment=item.moment, notification_id=notification.id,
                                  dedup_key=dedup_key, digest=digest(token), nonce=nonce, created_at=now,
                                  expires_at=expires_at)
    session.add(invitation)
    session.flush()
    return invitation


def invitation_by_token(session: Session, token: str) -> SurveyInvitation | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return session.scalar(select(SurveyInvitation).where(SurveyInvitation.digest == digest(token)))


def link_token_of(session: Session, invitation: SurveyInvitation) -> str | None:
    """The invitation's token (derived again: only its digest is stored); None for one issued before tokens were
    derived."""
    return None if invitation.nonce is None else link_token(session_link_key(session), LINK_PURPOSE, invitation.nonce)


def open_invitation(session: Session, process_id: int, now: datetime) -> SurveyInvitation | None:
    """The latest unexpired invitation of a process (for the status page's link)."""
    return session.scalar(select(SurveyInvitation).where(
        SurveyInvitation.process_id == process_id, SurveyInvitation.expires_at > now)
        .order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc()).limit(1))


def invite_to_process(session: Session, org_id: int, survey: Survey, process: Process, now: datetime, *,
                      actor: Actor) -> SurveyInvitation:
    """Invite the process's customer now (as the API's invitation with a process does), recorded in the audit log;
    the invitation's link works even when the contact policy holds the message back."""
    key = f"{survey.id}:page:{now.isoformat()}:{process.customer_id}"
    made = invite(session, org_id, survey, process.customer_id, key, now, process_id=process.id,
                  service_id=process.service_id, moment=process.current_moment)
    if made is None:
        raise Conflict("That invitation exists already.", code="invitation_exists", detail={"survey": survey.key})
    record(session, org_id, actor, "survey_link.create", f"process:{process.id}",
           after={"survey": survey.key, "invitation": made.id})
    return made


def revoke_invitation(session: Session, org_id: int, invitation: SurveyInvitation, now: datetime, *,
                      actor: Actor) -> None:
    """End an invitation's link now (it counts as expired: the survey page no longer takes answers)."""
    if invitation.expires_at > now:
        invitation.expires_at = now
        session.flush()
        record(session, org_id, actor, "survey_link.revoke", f"process:{invitation.process_id}",
               before={"invitation": invitation.id})


def _apply(row: Feedback, data: AnswerIn) -> None:
    if row.text != data.text:
        row.analyzed_at = row.language = row.sentiment = row.sentiment_score = row.embedding = None
    row.nps, row.csat, row.ces, row.text = data.nps, data.csat, data.ces, data.text
    row.perception = dict(data.perception)


def _check_items(survey: Survey, data: AnswerIn) -> None:
    perception = {q["key"] for q in survey.questions if q["kind"] == "perception"}
    kinds = {q["kind"] for q in survey.questions}
    unknown = sorted(set(data.perception) - perception)
    asked = [k for k in ("nps", "csat", "ces") if getattr(data, k) is not None and k not in kinds]
    if unknown or asked or (data.text and "text" not in kinds):
        raise ValidationFailed("The answer has items the survey does not ask.", code="unknown_items",
                               detail={"items": unknown + asked + (["text"] if data.text and "text" not in kinds
                                                                     else [])})


def answer(session: Session, invitation: SurveyInvitation, data: AnswerIn, now: datetime) -> Feedback:
    """Store (or correct) the answer of an invitation: one feedback row per invitation."""
    if invitation.expires_at <= now:
        raise Conflict("This survey has expired.", code="survey_expired")
    survey = session.get_one(Survey, invitation.survey_id)
    _check_items(survey, data)
    row = session.scalar(select(Feedback).where(Feedback.invitation_id == invitation.id))
    if row is None:
        row = Feedback(org_id=invitation.org_id, kind="survey", source="survey", external_id=f"i{invitation.id}",
                       customer_id=invitation.customer_id, process_id=invitation.process_id,
                       service_id=invitation.service_id, moment=invitation.moment, survey_id=survey.id,
                       invitation_id=invitation.id, perception={}, occurred_at=now, created_at=now)
        session.add(row)
    _apply(row, data)
    invitation.answered_at = now
    session.flush()
    return row


def record_response(session: Session, org_id: int, survey: Survey, data: SurveyResponseIn,
                    now: datetime) -> Feedback:
    """An answer sent through the API: tied to a customer and process when given; idempotent by external id."""
    _check_items(survey, data)
    customer_id = process_id = None
    service_id, moment = survey.service_id, survey.moment
    if data.customer is not None:
        from momentos.customers import service as customers

        customer_id = customers.get_customer(session, org_id, data.customer).id
    if data.process_id is not None:
        process = session.get(Process, data.process_id)
        if process is None or process.org_id != org_id:
            raise NotFound("Process not found.", code="process_not_found", detail={"process_id": data.process_id})
        process_id, service_id = process.id, process.service_id
        moment = survey.moment or process.current_moment
        customer_id = customer_id or process.customer_id
    source = f"survey:{survey.key}"
    row = None
    if data.external_id is not None:
        row = session.scalar(select(Feedback).where(Feedback.org_id == org_id, Feedback.source == source,
                                                    Feedback.external_id == data.external_id))
    if row is None:
        row = Feedback(org_id=org_id, kind="survey", source=source, external_id=data.external_id,
                       customer_id=customer_id, process_id=process_id, service_id=service_id, moment=moment,
                       survey_id=survey.id, perception={}, occurred_at=data.occurred_at or now, created_at=now)
        session.add(row)
    _apply(row, data)
    session.flush()
    return row

