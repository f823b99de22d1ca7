"""An organization's template overrides (list, put, delete) and the parameters of a preview. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.errors import NotFound, ValidationFailed
from momentos.models import Customer, NotificationTemplate, Organization, Process
from momentos.notify import status_tokens
from momentos.notify.render import ANY, PURPOSE_TEMPLATES, SAMPLE, validate_override
from momentos.notify.template_sandbox import TemplateBudget
from momentos.notify.triggers import status_params
from momentos.policy.engine import CHANNELS


def list_overrides(session: Session, org_id: int) -> Sequence[NotificationTemplate]:
    return session.scalars(select(NotificationTemplate).where(NotificationTemplate.org_id == org_id).order_by(
        NotificationTemplate.purpose, NotificationTemplate.moment, NotificationTemplate.channel,
        NotificationTemplate.language)).all()


def _check_key(purpose: str, channel: str) -> None:
    if purpose not in PURPOSE_TEMPLATES:
        raise NotFound("Template not found.", code="template_not_found", detail={"purpose": purpose})
    if channel != ANY and channel not in CHANNELS:
        raise ValidationFailed("Unknown channel.", code="unknown_channel", detail={"channel": channel})


def _find(session: Session, org_id: int, purpose: str, moment: str, channel: str,
          lang: str) -> NotificationTemplate | None:
    return session.scalar(select(NotificationTemplate).where(
        NotificationTemplate.org_id == org_id, NotificationTemplate.purpose == purpose,
        NotificationTemplate.moment == moment, NotificationTemplate.channel == channel,
        NotificationTemplate.language == lang))


def _target(purpose: str, moment: str, channel: str, lang: str) -> str:
    return f"template:{purpose}/{moment}/{channel}/{lang}"


def _texts(row: NotificationTemplate | None) -> dict[str, Any]:
    return {} if row is None else {"subject": row.subject, "body": row.body, "html": row.html}


def put_override(session: Session, org_id: int, purpose: str, moment: str, channel: str, lang: str, *,
                 subject: str, body: str, html: str | None, now: datetime, actor: Actor,
                 budget: TemplateBudget | None = None) -> NotificationTemplate:
    """Create or replace the override for (purpose, moment, channel, language), once it renders in the sandbox
    with the sample parameters under ``budget`` (the one the worker renders with)."""
    _check_key(purpose, channel)
    validate_override(purpose, subject, body, html, lang, budget=budget, org_id=org_id)
    row = _find(session, org_id, purpose, moment, channel, lang)
    before = _texts(row)
    if row is None:
        row = NotificationTemplate(org_id=org_id, purpose=purpose, moment=moment, channel=channel, language=lang,
                                   subject=subject, body=body, html=html, updated_at=now)
        session.add(row)
    else:
        row.subject, row.body, row.html, row.updated_at = subject, body, html, now
    session.flush()
    record_change(session, org_id, actor, "template.save", _target(purpose, moment, channel, lang), before=before,
                  after=_texts(row))
    return row


def delete_override(session: Session, org_id: int, purpose: str, moment: str, channel: str, lang: str, *,
                    actor: Actor) -> None:
    row = _find(session, org_id, purpose, moment, channel, lang)
    if row is None:
        raise NotFound("Template override not found.", code="template_override_not_found",
                       detail={"purpose": purpose, "moment": moment, "channel": channel, "language": lang})
    before = _texts(row)
    session.delete(row)
    session.flush()
    record(session, org_id, actor, "template.delete", _target(purpose, moment, channel, lang), before=before)


def preview_params(session: Session, org_id: int, customer: Customer | None, process: Process | None,
                   now: datetime, public_url: str = "") -> dict[str, Any]:
    """The sample parameters, with what is known of a real customer or process in their place."""
    params: dict[str, Any] = dict(SAMPLE)
    params["org_name"] = session.get_one(Organization, org_id).name
    if process is not None:
        active = status_tokens.active_token(session, process.id)  # a preview creates no token
        params.update(status_params(session, org_id, process.service_id, process.customer_id, process.id,
                                    process.current_moment, now, public_url,
                                    token=active or "preview"))
        customer = customer or session.get_one(Customer, process.customer_id)
    if customer is not None:
        params["customer_name"] = customer.name or ""
    return params
