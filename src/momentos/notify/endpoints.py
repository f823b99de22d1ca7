"""Webhook endpoints: create, update (URL, enabled) and rotate the signing secret with a grace period.
URLs are checked against SSRF here (create, update) and again by ``webhook.post`` at send time. Never commits.

Rotation follows Standard Webhooks: the new secret signs at once and the previous one keeps signing alongside it
(one ``v1,`` signature each) until ``previous_expires_at``, so receivers can switch at their pace.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.errors import NotFound
from momentos.models import WebhookEndpoint
from momentos.notify import webhook
from momentos.notify.ssrf import check_url


def list_endpoints(session: Session, org_id: int) -> Sequence[WebhookEndpoint]:
    return session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
                           .order_by(WebhookEndpoint.id)).all()


def get_endpoint(session: Session, org_id: int, endpoint_id: int) -> WebhookEndpoint:
    row = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                       WebhookEndpoint.org_id == org_id))
    if row is None:
        raise NotFound("Webhook endpoint not found.", code="webhook_endpoint_not_found",
                       detail={"endpoint_id": endpoint_id})
    return row


def shown_url(url: str) -> str:
    """The URL as the audit log keeps it: without user, password, query or fragment (they may carry credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _summary(row: WebhookEndpoint) -> dict[str, Any]:
    return {"url": shown_url(row.url), "active": row.active}


def _target(row: WebhookEndpoint) -> str:
    return f"webhook_endpoint:{row.id}"


def create_endpoint(session: Session, org_id: int, url: str, allow: Sequence[str],
                    now: datetime, *, actor: Actor) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (shown once, never recorded)."""
    check_url(url, allow)
    secret = webhook.new_secret()
    row = WebhookEndpoint(org_id=org_id, url=url, secrets=[secret], active=True, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    record(session, org_id, actor, "webhook_endpoint.create", _target(row), after=_summary(row))
    return row, secret


def rotate(row: WebhookEndpoint, grace: timedelta, now: datetime) -> str:
    """A new signing secret; the current one keeps signing for ``grace`` (none: dropped at once)."""
    secret = webhook.new_secret()
    keep = row.secrets[:1] if grace > timedelta(0) else []
    row.secrets = [secret, *keep]
    row.previous_expires_at = now + grace if keep else None
    row.updated_at = now
    return secret


def rotate_secret(session: Session, row: WebhookEndpoint, grace: timedelta, now: datetime, *, actor: Actor) -> str:
    """:func:`rotate`, recorded in the audit log (that it happened and the grace period, never a secret)."""
    secret = rotate(row, grace, now)
    session.flush()
    record(session, row.org_id, actor, "webhook_endpoint.rotate", _target(row),
           after={"grace_seconds": int(grace.total_seconds())})
    return secret


def update_endpoint(session: Session, row: WebhookEndpoint, *, url: str | None, enabled: bool | None,
                    rotate_grace: timedelta | None, allow: Sequence[str], now: datetime, actor: Actor) -> str | None:
    """Apply the changes; returns the new secret when rotated."""
    before = _summary(row)
    if url is not None:
        check_url(url, allow)
        row.url = url
    if enabled is not None:
        row.active = enabled
    secret = rotate(row, rotate_grace, now) if rotate_grace is not None else None
    row.updated_at = now
    session.flush()
    after = _summary(row)
    if rotate_grace is not None:
        before, after = {**before, "rotated": False}, {**after, "rotated": True,
                                                       "grace_seconds": int(rotate_grace.total_seconds())}
    record_change(session, row.org_id, actor, "webhook_endpoint.update", _target(row), before=before, after=after)
    return secret


def signing_secrets(row: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The secrets that sign now: the current one, and the previous one during its grace period."""
    current, *previous = row.secrets
    if previous and row.previous_expires_at is not None and now < row.previous_expires_at:
        return (current, *previous[:1])
    return (current,)
