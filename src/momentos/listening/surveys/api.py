"""Thin routes of surveys: definitions, invitations, answers and the listening indicators."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from momentos.auth.deps import Admin, DbSession, Writer
from momentos.customers import service as customers
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.kit.params import QueryTime
from momentos.listening.feedback.schemas import FeedbackRead
from momentos.listening.surveys import indicators
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import (
    InvitationRead,
    InviteRequest,
    ListeningIndicators,
    SurveyCreate,
    SurveyRead,
    SurveyResponseIn,
    SurveyUpdate,
)
from momentos.models import Notification, Process

router = APIRouter(prefix="/api/v1", tags=["listening"])


@router.post("/surveys", status_code=201)
def create_survey(data: SurveyCreate, p: Admin, session: DbSession) -> SurveyRead:
    return SurveyRead.model_validate(surveys.create_survey(session, p.org_id, data, utcnow(), actor=p.actor))


@router.get("/surveys")
def list_surveys(p: Admin, session: DbSession) -> list[SurveyRead]:
    return [SurveyRead.model_validate(s) for s in surveys.list_surveys(session, p.org_id)]


@router.get("/surveys/{survey_key}")
def get_survey(survey_key: str, p: Admin, session: DbSession) -> SurveyRead:
    return SurveyRead.model_validate(surveys.get_survey(session, p.org_id, survey_key))


@router.patch("/surveys/{survey_key}")
def update_survey(survey_key: str, data: SurveyUpdate, p: Admin, session: DbSession) -> SurveyRead:
    """Change a survey's titles, questions (the whole list), validity or whether it is sent."""
    return SurveyRead.model_validate(surveys.update_survey(session, p.org_id, survey_key, data, actor=p.actor))


@router.post("/surveys/{survey_key}/invitations", status_code=202)
def invite(survey_key: str, data: InviteRequest, p: Admin, session: DbSession) -> InvitationRead:
    """Invite a customer (the contact policy decides if, when and how; a suppressed invitation says so)."""
    survey = surveys.get_survey(session, p.org_id, survey_key)
    customer = customers.get_customer(session, p.org_id, data.customer)
    process = None
    if data.process_id is not None:
        process = session.get(Process, data.process_id)
        if process is None or process.org_id != p.org_id or process.customer_id != customer.id:
            raise NotFound("Process not found.", code="process_not_found", detail={"process_id": data.process_id})
    now = utcnow()
    key = f"{survey.id}:api:{data.dedup_key or now.isoformat()}:{customer.id}"
    made = surveys.invite(session, p.org_id, survey, customer.id, key, now,
                          process_id=process.id if process else None,
                          service_id=process.service_id if process else None,
                          moment=process.current_moment if process else None)
    if made is None:
        from momentos.models import SurveyInvitation

        made = session.scalar(select(SurveyInvitation).where(SurveyInvitation.org_id == p.org_id,
                                                             SurveyInvitation.dedup_key == key))
        assert made is not None
    status = session.scalar(select(Notification.status).where(Notification.id == made.notification_id))
    return InvitationRead.model_validate(made).model_copy(update={"notification_status": status})


@router.post("/surveys/{survey_key}/responses", status_code=201)
def respond(survey_key: str, data: SurveyResponseIn, p: Writer, session: DbSession) -> FeedbackRead:
    survey = surveys.get_survey(session, p.org_id, survey_key)
    return FeedbackRead.model_validate(surveys.record_response(session, p.org_id, survey, data, utcnow()))


@router.get("/listening/indicators")
def listening_indicators(p: Admin, session: DbSession, service: str | None = None,
                         since: QueryTime | None = None) -> ListeningIndicators:
    return indicators.listening_indicators(session, p.org_id, service, since)
