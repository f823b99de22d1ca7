"""Requested contacts (``POST /api/v1/contacts``): for a customer, or about a process (its customer), with a
purpose, a priority and optionally the moment it is about. Goes through the outbox like every contact: the policy
decides now (stored) and again before delivery. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from momentos.customers import service as customers
from momentos.errors import NotFound, ValidationFailed
from momentos.models import Customer, Notification, Process
from momentos.notify import outbox
from momentos.notify.schemas import ContactRequest
from momentos.notify.triggers import status_params


def _process(session: Session, org_id: int, process_id: int) -> Process:
    process = session.get(Process, process_id)
    if process is None or process.org_id != org_id:
        raise NotFound("Process not found.", code="process_not_found", detail={"process_id": process_id})
    return process


def _who(session: Session, org_id: int, data: ContactRequest) -> tuple[Customer, Process | None]:
    process = _process(session, org_id, data.process_id) if data.process_id is not None else None
    if data.customer is None:
        assert process is not None
        return session.get_one(Customer, process.customer_id), process
    customer = customers.get_customer(session, org_id, data.customer)
    if process is not None and process.customer_id != customer.id:
        raise ValidationFailed("The process belongs to another customer.", code="process_customer_mismatch",
                               detail={"customer": data.customer, "process_id": process.id})
    return customer, process


def request_contact(session: Session, org_id: int, data: ContactRequest, now: datetime, *,
                    channels: frozenset[str] | None = None) -> Notification:
    """The notification (new, or the existing one for the same ``dedup_key``), with the policy's first decision
    (``channels``: what the delivery settings can deliver on, ``NotifySettings.channels``)."""
    customer, process = _who(session, org_id, data)
    moment = data.moment or (process.current_moment if process else None)
    params: dict[str, Any] = {"customer_name": customer.name or "", "status_url": ""}
    if process is not None:  # the link is stored as a path; the worker prefixes the public URL
        params.update(status_params(session, org_id, process.service_id, customer.id, process.id, moment, now, ""))
    params.update(data.params)
    if data.subject is not None and data.text is not None:
        params.update(subject=data.subject, text=data.text)
    template = "message" if data.subject is not None else data.purpose
    key = f"request:{data.dedup_key}" if data.dedup_key else f"request:{uuid4().hex}"
    item = outbox.NotificationIn(customer_id=customer.id, purpose=data.purpose, template=template, dedup_key=key,
                                 params=params, priority=data.priority, proactive=data.proactive,
                                 process_id=process.id if process else None,
                                 service_id=process.service_id if process else None, moment=moment)
    created = outbox.enqueue(session, org_id, item, now, channels=channels)
    existing = created or outbox.by_dedup_key(session, org_id, key)
    assert existing is not None
    return existing
