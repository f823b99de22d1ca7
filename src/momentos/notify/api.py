"""Thin routes: request a contact, list and replay notifications, webhook endpoints, template previews."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi import APIRouter, FastAPI, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.customers import service as customers
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.models import Notification, Process, WebhookEndpoint
from momentos.notify import outbox, render, status_tokens, webhook
from momentos.notify.schemas import (
    ContactRequest,
    NotificationRead,
    TemplatePreview,
    WebhookEndpointCreate,
    WebhookEndpointRead,
)
from momentos.notify.settings import NotifySettings
from momentos.notify.ssrf import check_url

router = APIRouter(prefix="/api/v1", tags=["notify"])

SAMPLE: dict[str, Any] = {"org_name": "Momentos", "customer_name": "Ana", "service_name": "Shop",
                          "moment_name": "Delivery", "next_name": "Use", "status_url": "https://example.com/s/…",
                          "subject": "Subject", "text": "Text", "survey_title": "How did it go?",
                          "survey_url": "https://example.com/f/…", "scope_name": "Shop",
                          "started_at": "2026-03-02 10:00", "count": 40, "negatives": 31, "expected": 3,
                          "baseline_share": 12, "examples": ["…"]}


def _settings(request: Request) -> NotifySettings:
    settings = getattr(request.app.state, "notify_settings", None)
    return settings if isinstance(settings, NotifySettings) else NotifySettings()


def _read(n: Notification) -> NotificationRead:
    return NotificationRead.model_validate(n, from_attributes=True)


def _process(session: Session, org_id: int, process_id: int) -> Process:
    process = session.get(Process, process_id)
    if process is None or process.org_id != org_id:
        raise NotFound("Process not found.", code="process_not_found", detail={"process_id": process_id})
    return process


@router.post("/contacts", status_code=202)
def request_contact(data: ContactRequest, p: Admin, session: DbSession, request: Request) -> NotificationRead:
    customer = customers.get_customer(session, p.org_id, data.customer)
    now = utcnow()
    params: dict[str, Any] = {"subject": data.subject, "text": data.text, "customer_name": customer.name or "",
                              "status_url": ""}
    service_id = moment = None
    if data.process_id is not None:
        process = _process(session, p.org_id, data.process_id)
        token = status_tokens.ensure_token(session, p.org_id, process.id, now)
        params["status_url"] = f"{request.app.state.settings.public_url}/s/{token}"
        service_id, moment = process.service_id, process.current_moment
    key = f"request:{data.dedup_key}" if data.dedup_key else f"request:{uuid4().hex}"
    item = outbox.NotificationIn(customer_id=customer.id, purpose=data.purpose, template="message", dedup_key=key,
                                 params=params, priority=data.priority, proactive=data.proactive,
                                 process_id=data.process_id, service_id=service_id, moment=moment)
    created = outbox.enqueue(session, p.org_id, item, now)
    existing = created or outbox.by_dedup_key(session, p.org_id, key)
    assert existing is not None
    return _read(existing)


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


@router.post("/webhook-endpoints", status_code=201)
def create_endpoint(data: WebhookEndpointCreate, p: Admin, session: DbSession,
                    request: Request) -> WebhookEndpointRead:
    check_url(data.url, _settings(request).webhook_allow)
    secret = webhook.new_secret()
    row = WebhookEndpoint(org_id=p.org_id, url=data.url, secrets=[secret], active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    return WebhookEndpointRead(id=row.id, url=row.url, active=row.active, secret=secret)


@router.post("/webhook-endpoints/{endpoint_id}/rotate")
def rotate_secret(endpoint_id: int, p: Admin, session: DbSession) -> WebhookEndpointRead:
    """A new secret signs alongside the previous one (receivers switch at their pace); older ones are dropped."""
    row = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                       WebhookEndpoint.org_id == p.org_id))
    if row is None:
        raise NotFound("Webhook endpoint not found.", code="webhook_endpoint_not_found")
    secret = webhook.new_secret()
    row.secrets = [secret, *row.secrets[:1]]
    session.flush()
    return WebhookEndpointRead(id=row.id, url=row.url, active=row.active, secret=secret)


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


@router.get("/notification-templates/{name}/preview")
def preview(name: str, _: Admin, lang: str = "es") -> TemplatePreview:
    subject, text = render.render(name, lang, SAMPLE)
    return TemplatePreview(template=name, language=lang if lang in ("es", "en") else "es", subject=subject,
                           text=text)


def install(app: FastAPI) -> None:
    app.include_router(router)
