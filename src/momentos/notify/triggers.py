"""What causes notifications: entering a moment (per the service's touchpoints) and an explicit request.

Called by ingestion in the same transaction as the events (``events/service.py::_notify_entries``), with only
the stored events that entered a moment needing a notice (``events.routing.Routing.notice_moments``).
The link is stored as ``/s/<token>`` and the worker prefixes its public URL.

A moment entered by an event whose service has a company-started touchpoint with ``contact_needed`` at that moment
gets a ``status`` notice. The dedup key is the event's (organization, message id) and the moment, so a replayed
event (already stored, so not inserted again) and a second call create no second notification.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.models import Customer, Organization, Service
from momentos.notify import status_tokens
from momentos.notify.outbox import NotificationIn, enqueue_many


class Entry(NamedTuple):
    """An event that just entered a moment needing a status notice (the ingestion knows these without a query)."""

    message_id: str
    customer_id: int
    service_id: int
    process_id: int
    moment: str


def moments_entered(session: Session, org_id: int, entries: Sequence[Entry], now: datetime) -> int:
    """Enqueue the status notices for these moment entries; returns how many were new.

    Rows are written in bulk; their link and texts are filled in by the worker at send time (``status_params``).
    The dedup key is the entry itself, so replaying the events never queues a second notice.
    """
    items = [NotificationIn(customer_id=e.customer_id, purpose="status", template="status",
                            dedup_key=f"moment:{e.message_id}:{e.moment}", process_id=e.process_id,
                            service_id=e.service_id, moment=e.moment) for e in entries]
    return enqueue_many(session, org_id, items, now)


def status_params(session: Session, org_id: int, service_id: int, customer_id: int, process_id: int,
                  moment: str | None, now: datetime, public_url: str, *, token: str | None = None) -> dict[str, object]:
    """Template parameters of a status notice, in both languages (the worker picks the customer's). The
    process's status token is created unless one is given."""
    held: dict[tuple[type, int], Any] = session.info.get("notify.rows", {})  # per worker batch (strong refs)
    service = held.get((Service, service_id)) or session.get_one(Service, service_id)
    held[(Service, service_id)] = service
    models: dict[tuple[int, str], JourneyModelDef] = session.info.get("notify.models", {})  # per worker batch
    model = models.get((org_id, service.journey_model_key)) or catalog.get_journey_model(
        session, org_id, service.journey_model_key)
    models[(org_id, service.journey_model_key)] = model
    customer = session.get_one(Customer, customer_id)
    org = held.get((Organization, org_id)) or session.get_one(Organization, org_id)
    held[(Organization, org_id)] = org
    token = token or status_tokens.ensure_token(session, org_id, process_id, now)
    nxt = model.next_key(moment) if moment and model.has(moment) else None
    return {"org_name": org.name, "customer_name": customer.name or "", "status_url": f"{public_url}/s/{token}",
            "service_name": {"es": service.name_es, "en": service.name_en},
            "moment_name": {lang: model.moment(moment).name(lang) if moment and model.has(moment) else (moment or "")
                            for lang in ("es", "en")},
            "next_name": {lang: model.moment(nxt).name(lang) if nxt else "" for lang in ("es", "en")}}
