"""Thin routes: surveys, invitations and answers; feedback from other sources; needs; indicators; alerts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, FastAPI, Query
from sqlalchemy import select

from momentos.auth.deps import Admin, DbSession, Writer
from momentos.customers import service as customers
from momentos.errors import NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.listening.analysis.adapter import settings_of
from momentos.listening.feedback import service as feedback
from momentos.listening.needs import service as needs
from momentos.listening.schemas import (
    AlertRead,
    AnalyzeResult,
    FeedbackBatch,
    FeedbackRead,
    FeedbackResult,
    InvitationRead,
    InviteRequest,
    ListeningIndicators,
    NeedMerge,
    NeedRead,
    NeedUpdate,
    SettingsIn,
    SettingsRead,
    SurveyCreate,
    SurveyRead,
    SurveyResponseIn,
)
from momentos.listening.surveys import indicators
from momentos.listening.surveys import service as surveys
from momentos.models import Notification, Process, WarningEpisode

router = APIRouter(prefix="/api/v1", tags=["listening"])


@router.post("/surveys", status_code=201)
def create_survey(data: SurveyCreate, p: Admin, session: DbSession) -> SurveyRead:
    return SurveyRead.model_validate(surveys.create_survey(session, p.org_id, data, utcnow()))


@router.get("/surveys")
def list_surveys(p: Admin, session: DbSession) -> list[SurveyRead]:
    return [SurveyRead.model_validate(s) for s in surveys.list_surveys(session, p.org_id)]


@router.get("/surveys/{survey_key}")
def get_survey(survey_key: str, p: Admin, session: DbSession) -> SurveyRead:
    return SurveyRead.model_validate(surveys.get_survey(session, p.org_id, survey_key))


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


@router.post("/feedback")
def add_feedback(data: FeedbackBatch, p: Writer, session: DbSession) -> FeedbackResult:
    """Complaints, reviews, mentions: all items or none; (source, external id) already stored are skipped."""
    try:
        return feedback.add_feedback(session, p.org_id, data.items, utcnow())
    except feedback.BadItem as exc:
        raise ValidationFailed(f"items[{exc.index}]: {exc.reason}", code="bad_feedback",
                               detail={"index": exc.index, "reason": exc.reason}) from exc


@router.get("/feedback")
def list_feedback(p: Admin, session: DbSession, limit: int = Query(100, ge=1, le=1000), after: int | None = None,
                  source: str | None = None, need: int | None = None) -> list[FeedbackRead]:
    rows = feedback.list_feedback(session, p.org_id, limit=limit, after_id=after, source=source, need_id=need)
    return [FeedbackRead.model_validate(r) for r in rows]


@router.post("/feedback/analysis", status_code=202)
def reanalyse(p: Admin, session: DbSession) -> AnalyzeResult:
    """Queue every text of the organization for a new analysis by the workers."""
    return AnalyzeResult(queued=feedback.mark_for_analysis(session, p.org_id))


@router.get("/needs")
def list_needs(p: Admin, session: DbSession, addressed: bool = False,
               limit: int = Query(50, ge=1, le=500)) -> list[NeedRead]:
    return needs.ranked(session, p.org_id, utcnow(), include_addressed=addressed, limit=limit)


def _need_read(session: DbSession, org_id: int, need_id: int) -> NeedRead:
    found = [n for n in needs.ranked(session, org_id, utcnow(), include_addressed=True, limit=500) if n.id == need_id]
    if not found:
        raise NotFound("Need not found.", code="need_not_found", detail={"need_id": need_id})
    return found[0]


@router.patch("/needs/{need_id}")
def update_need(need_id: int, data: NeedUpdate, p: Admin, session: DbSession) -> NeedRead:
    needs.update_need(session, p.org_id, need_id, data, utcnow())
    return _need_read(session, p.org_id, need_id)


@router.post("/needs/{need_id}/merge")
def merge_need(need_id: int, data: NeedMerge, p: Admin, session: DbSession) -> NeedRead:
    target = needs.merge(session, p.org_id, need_id, data.into, utcnow())
    return _need_read(session, p.org_id, target.id)


@router.get("/listening/indicators")
def listening_indicators(p: Admin, session: DbSession, service: str | None = None,
                         since: datetime | None = None) -> ListeningIndicators:
    return indicators.listening_indicators(session, p.org_id, service, since)


@router.get("/listening/alerts")
def list_alerts(p: Admin, session: DbSession, limit: int = Query(100, ge=1, le=1000)) -> list[AlertRead]:
    rows = session.scalars(select(WarningEpisode).where(WarningEpisode.org_id == p.org_id)
                           .order_by(WarningEpisode.started_at.desc()).limit(limit))
    return [AlertRead.model_validate(r) for r in rows]


@router.get("/listening/settings")
def get_settings(p: Admin, session: DbSession) -> SettingsRead:
    row = settings_of(session, p.org_id, utcnow())
    return SettingsRead(alert_email=row.alert_email, adapter_labels=row.adapter_labels,
                        adapter_fitted_at=row.adapter_fitted_at)


@router.put("/listening/settings")
def put_settings(data: SettingsIn, p: Admin, session: DbSession) -> SettingsRead:
    row = settings_of(session, p.org_id, utcnow())
    row.alert_email, row.updated_at = data.alert_email, utcnow()
    session.flush()
    return SettingsRead(alert_email=row.alert_email, adapter_labels=row.adapter_labels,
                        adapter_fitted_at=row.adapter_fitted_at)


def install(app: FastAPI) -> None:
    app.include_router(router)
