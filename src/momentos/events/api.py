"""Thin routes: event reads (timelines of a customer and a process)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.customers import service as customers
from momentos.events import service as events
from momentos.events.schemas import EventRead
from momentos.kit.params import BigInt, QueryTime
from momentos.models import Event
from momentos.processes import service as processes

router = APIRouter(prefix="/api/v1", tags=["events"])


def event_read(e: Event, service_key: str | None) -> EventRead:
    return EventRead(message_id=e.message_id, type=e.type, activity=e.activity, channel=e.channel, moment=e.moment,
                     initiator=e.initiator, service=service_key, process_id=e.process_id, source=e.source,
                     timestamp=e.timestamp, received_at=e.received_at, properties=e.properties)


@router.get("/customers/{external_id}/timeline")
def customer_timeline(external_id: str, p: Admin, session: DbSession, limit: int = Query(100, ge=1, le=1000),
                      before: QueryTime | None = None) -> list[EventRead]:
    c = customers.get_customer(session, p.org_id, external_id)
    return [event_read(e, key) for e, key in events.timeline(session, p.org_id, c.id, limit=limit, before=before)]


@router.get("/processes/{process_id}/events")
def process_events(process_id: BigInt, p: Admin, session: DbSession) -> list[EventRead]:
    proc = processes.get_process(session, p.org_id, process_id)
    keys = _service_keys(session, p.org_id)
    return [event_read(e, keys.get(e.service_id or 0)) for e in events.process_events(session, p.org_id, proc.id)]


def _service_keys(session: Session, org_id: int) -> dict[int, str]:
    from momentos.catalog.service import list_services

    return {s.id: s.key for s in list_services(session, org_id)}
