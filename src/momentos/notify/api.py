"""Thin routes: request a contact, list and replay notifications (``?status=dead``), webhook endpoints, status
links; the template routes are in ``templates_api``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.config import NotifySettings, Settings
from momentos.errors import NotFound, ValidationFailed
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.params import BigInt
from momentos.kit.schema import one_of
from momentos.models import Notification, NotificationAttempt, Process, WebhookEndpoint
from momentos.notify import attempts, contacts, endpoints, outbox, status_tokens
from momentos.notify.schemas import (
    AttemptRead,
    ContactDecisionBrief,
    ContactRead,
    ContactRequest,
    NotificationRead,
    SwitchRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
)
from momentos.policy import service as policy
from momentos.policy.messages import explain
from momentos.policy.schemas import ReasonRead

router = APIRouter(prefix="/api/v1", tags=["notify"])


def _settings(request: Request) -> NotifySettings:
    """The ``notify`` section of the app's settings (``create_app`` sets them)."""
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings.notify


def _reason(code: str, params: dict[str, object], lang: str) -> ReasonRead:
    return ReasonRead(code=code, params=params, message=explain(code, params, lang))


def _attempt(a: NotificationAttempt, lang: str) -> AttemptRead:
    reason = (_reason("channel_failed", {"channel": a.channel, "failure": a.reason}, lang)
              if a.outcome in ("switched", "permanent_failure") else None)
    return AttemptRead(number=a.number, channel=a.channel, started_at=a.started_at, ended_at=a.ended_at,
                       outcome=a.outcome, error=a.error, next_channel=a.next_channel, reason=reason)


def _reads(session: Session, rows: list[Notification], lang: str) -> list[NotificationRead]:
    """The notifications with their attempts and channel switches (reasons in ``lang``), in three queries."""
    ids = [n.id for n in rows]
    tried = attempts.of_notifications(session, ids)
    switched = attempts.switches_of(session, ids, tried)
    return [NotificationRead.model_validate(n, from_attributes=True).model_copy(update={
        "failed_channels": dict(n.failed_channels or {}),
        "delivery_attempts": [_attempt(a, lang) for a in tried[n.id]],
        "switches": [SwitchRead(at=s.at, from_channel=s.from_channel, to_channel=s.to_channel,
                                reason=_reason(s.code, s.params, lang)) for s in switched[n.id]]})
            for n in rows]


def _read(session: Session, n: Notification, request: Request) -> NotificationRead:
    return _reads(session, [n], _language(request, None))[0]


def _language(request: Request, lang: str | None) -> str:
    return i18n.negotiate(query=lang, cookie=None, accept_language=request.headers.get("accept-language"),
                          default="en")


def _process(session: Session, org_id: int, process_id: int) -> Process:
    process = session.get(Process, process_id)
    if process is None or process.org_id != org_id:
        raise NotFound("Process not found.", code="process_not_found", detail={"process_id": process_id})
    return process


@router.post("/contacts", status_code=202)
def request_contact(data: ContactRequest, p: Admin, session: DbSession, request: Request) -> ContactRead:
    """Ask for a contact; the policy decides now (the decision is stored and answered: caps count what is sent and
    what is queued; only channels the delivery settings and the organization's webhook endpoint can deliver on are
    chosen) and again before delivery."""
    notification = contacts.request_contact(session, p.org_id, data, utcnow(), channels=_settings(request).channels)
    d = policy.latest_decision(session, notification.id)
    brief = None if d is None else ContactDecisionBrief(outcome=d.outcome, channel=d.channel,
                                                        defer_until=d.defer_until,
                                                        reasons=[str(r["code"]) for r in d.reasons])
    return ContactRead(**_read(session, notification, request).model_dump(), decision=brief)


@router.get("/notifications")
def list_notifications(p: Admin, session: DbSession, request: Request,
                       status: Annotated[str | None, one_of(outbox.STATUSES)] = None,
                       limit: int = Query(100, ge=1, le=1000), after: BigInt | None = None,
                       lang: Annotated[str | None, one_of(i18n.LANGUAGES)] = None) -> list[NotificationRead]:
    """The organization's notifications, each with its delivery attempts and channel switches (reasons in
    ``lang`` or the ``Accept-Language``)."""
    if status is not None and status not in outbox.STATUSES:
        raise ValidationFailed("Unknown notification status.", code="invalid_status",
                               detail={"status": status[:64], "allowed": list(outbox.STATUSES)})
    rows = outbox.list_notifications(session, p.org_id, status, limit, after)
    return _reads(session, rows, _language(request, lang))


def _notification(session: Session, org_id: int, notification_id: int) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None or n.org_id != org_id:
        raise NotFound("Notification not found.", code="notification_not_found")
    return n


@router.get("/notifications/{notification_id}")
def get_notification(notification_id: BigInt, p: Admin, session: DbSession, request: Request,
                     lang: Annotated[str | None, one_of(i18n.LANGUAGES)] = None) -> NotificationRead:
    """One notification with its delivery attempts and channel switches."""
    return _reads(session, [_notification(session, p.org_id, notification_id)], _language(request, lang))[0]


@router.post("/notifications/{notification_id}/replay")
def replay(notification_id: BigInt, p: Admin, session: DbSession, request: Request) -> NotificationRead:
    n = _notification(session, p.org_id, notification_id)
    if n.status in outbox.REPLAYABLE:
        outbox.replay(session, n, utcnow(), actor=p.actor)
    return _read(session, n, request)


def _endpoint_read(row: WebhookEndpoint, secret: str | None = None) -> WebhookEndpointRead:
    return WebhookEndpointRead(id=row.id, url=row.url, active=row.active, secret=secret,
                               previous_expires_at=row.previous_expires_at if len(row.secrets) > 1 else None)


@router.get("/webhook-endpoints")
def list_endpoints(p: Admin, session: DbSession) -> list[WebhookEndpointRead]:
    return [_endpoint_read(row) for row in endpoints.list_endpoints(session, p.org_id)]


@router.post("/webhook-endpoints", status_code=201)
def create_endpoint(data: WebhookEndpointCreate, p: Admin, session: DbSession,
                    request: Request) -> WebhookEndpointRead:
    row, secret = endpoints.create_endpoint(session, p.org_id, data.url, _settings(request).webhook_allow, utcnow(),
                                            actor=p.actor)
    return _endpoint_read(row, secret)


@router.patch("/webhook-endpoints/{endpoint_id}")
def update_endpoint(endpoint_id: BigInt, data: WebhookEndpointUpdate, p: Admin, session: DbSession,
                    request: Request) -> WebhookEndpointRead:
    """Change the URL (SSRF-checked), enable or disable, rotate the secret (the new one is shown once)."""
    row = endpoints.get_endpoint(session, p.org_id, endpoint_id)
    grace = timedelta(seconds=data.grace_seconds) if data.rotate_secret else None
    secret = endpoints.update_endpoint(session, row, url=data.url, enabled=data.enabled, rotate_grace=grace,
                                       allow=_settings(request).webhook_allow, now=utcnow(), actor=p.actor)
    return _endpoint_read(row, secret)


@router.post("/webhook-endpoints/{endpoint_id}/rotate")
def rotate_secret(endpoint_id: BigInt, p: Admin, session: DbSession,
                  grace_seconds: int = Query(86_400, ge=0, le=30 * 86_400)) -> WebhookEndpointRead:
    """A new secret signs alongside the previous one for the grace period; then only the new one signs."""
    row = endpoints.get_endpoint(session, p.org_id, endpoint_id)
    secret = endpoints.rotate_secret(session, row, timedelta(seconds=grace_seconds), utcnow(), actor=p.actor)
    return _endpoint_read(row, secret)


@router.post("/processes/{process_id}/status-token")
def status_token(process_id: BigInt, p: Admin, session: DbSession, request: Request) -> dict[str, str]:
    """The process's status-page link (created on first use)."""
    process = _process(session, p.org_id, process_id)
    token = status_tokens.ensure_token(session, p.org_id, process.id, utcnow())
    return {"token": token, "url": f"{request.app.state.settings.public_url}/s/{token}"}


@router.delete("/processes/{process_id}/status-token", status_code=204)
def revoke_status_token(process_id: BigInt, p: Admin, session: DbSession) -> None:
    """Revoke the link: the old URL gives 404; the next request creates a new one."""
    status_tokens.revoke(session, _process(session, p.org_id, process_id).id, utcnow())
