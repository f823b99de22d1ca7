"""Thin routes: request a contact, list and replay notifications (``?status=dead``), webhook endpoints, status
links; the template routes are in ``templates_api``."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.config import NotifySettings, Settings
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.models import Notification, Process, WebhookEndpoint
from momentos.notify import contacts, endpoints, outbox, status_tokens
from momentos.notify.schemas import (
    ContactDecisionBrief,
    ContactRead,
    ContactRequest,
    NotificationRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
)
from momentos.policy import service as policy

router = APIRouter(prefix="/api/v1", tags=["notify"])


def _settings(request: Request) -> NotifySettings:
    """The ``notify`` section of the app's settings (``create_app`` sets them)."""
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings.notify


def _read(n: Notification) -> NotificationRead:
    return NotificationRead.model_validate(n, from_attributes=True)


def _process(session: Session, org_id: int, process_id: int) -> Process:
    process = session.get(Process, process_id)
    if process is None or process.org_id != org_id:
        raise NotFound("Process not found.", code="process_not_found", detail={"process_id": process_id})
    return process


@router.post("/contacts", status_code=202)
def request_contact(data: ContactRequest, p: Admin, session: DbSession) -> ContactRead:
    """Ask for a contact; the policy decides now (the decision is stored and answered: caps count what is sent and
    what is queued) and again before delivery."""
    notification = contacts.request_contact(session, p.org_id, data, utcnow())
    d = policy.latest_decision(session, notification.id)
    brief = None if d is None else ContactDecisionBrief(outcome=d.outcome, channel=d.channel,
                                                        defer_until=d.defer_until,
                                                        reasons=[str(r["code"]) for r in d.reasons])
    return ContactRead(**_read(notification).model_dump(), decision=brief)


@router.get("/notifications")
def list_notifications(p: Admin, session: DbSession, status: str | None = None,
                       limit: int = Query(100, ge=1, le=1000), after: int | None = None) -> list[NotificationRead]:
    return [_read(n) for n in outbox.list_notifications(session, p.org_id, status, limit, after)]


@router.post("/notifications/{notification_id}/replay")
def replay(notification_id: int, p: Admin, session: DbSession) -> NotificationRead:
    n = session.get(Notification, notification_id)
    if n is None or n.org_id != p.org_id:
        raise NotFound("Notification not found.", code="notification_not_found")
    if n.status in ("dead", "suppressed"):
        outbox.replay(session, n, utcnow())
    return _read(n)


def _endpoint_read(row: WebhookEndpoint, secret: str | None = None) -> WebhookEndpointRead:
    return WebhookEndpointRead(id=row.id, url=row.url, active=row.active, secret=secret,
                               previous_expires_at=row.previous_expires_at if len(row.secrets) > 1 else None)


@router.get("/webhook-endpoints")
def list_endpoints(p: Admin, session: DbSession) -> list[WebhookEndpointRead]:
    return [_endpoint_read(row) for row in endpoints.list_endpoints(session, p.org_id)]


@router.post("/webhook-endpoints", status_code=201)
def create_endpoint(data: WebhookEndpointCreate, p: Admin, session: DbSession,
                    request: Request) -> WebhookEndpointRead:
    row, secret = endpoints.create_endpoint(session, p.org_id, data.url, _settings(request).webhook_allow, utcnow())
    return _endpoint_read(row, secret)


@router.patch("/webhook-endpoints/{endpoint_id}")
def update_endpoint(endpoint_id: int, data: WebhookEndpointUpdate, p: Admin, session: DbSession,
                    request: Request) -> WebhookEndpointRead:
    """Change the URL (SSRF-checked), enable or disable, rotate the secret (the new one is shown once)."""
    row = endpoints.get_endpoint(session, p.org_id, endpoint_id)
    grace = timedelta(seconds=data.grace_seconds) if data.rotate_secret else None
    secret = endpoints.update_endpoint(session, row, url=data.url, enabled=data.enabled, rotate_grace=grace,
                                       allow=_settings(request).webhook_allow, now=utcnow())
    return _endpoint_read(row, secret)


@router.post("/webhook-endpoints/{endpoint_id}/rotate")
def rotate_secret(endpoint_id: int, p: Admin, session: DbSession,
                  grace_seconds: int = Query(86_400, ge=0, le=30 * 86_400)) -> WebhookEndpointRead:
    """A new secret signs alongside the previous one for the grace period; then only the new one signs."""
    row = endpoints.get_endpoint(session, p.org_id, endpoint_id)
    secret = endpoints.rotate(row, timedelta(seconds=grace_seconds), utcnow())
    session.flush()
    return _endpoint_read(row, secret)


@router.post("/processes/{process_id}/status-token")
def status_token(process_id: int, p: Admin, session: DbSession, request: Request) -> dict[str, str]:
    """The process's status-page link (created on first use)."""
    process = _process(session, p.org_id, process_id)
    token = status_tokens.ensure_token(session, p.org_id, process.id, utcnow())
    return {"token": token, "url": f"{request.app.state.settings.public_url}/s/{token}"}


@router.delete("/processes/{process_id}/status-token", status_code=204)
def revoke_status_token(process_id: int, p: Admin, session: DbSession) -> None:
    """Revoke the link: the old URL gives 404; the next request creates a new one."""
    status_tokens.revoke(session, _process(session, p.org_id, process_id).id, utcnow())
