"""Thin routes: processes with their moment history."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.catalog import service as catalog
from momentos.customers import service as customers
from momentos.kit.params import BigInt
from momentos.models import Customer, Process, Service
from momentos.processes import service as processes
from momentos.processes.schemas import ProcessRead, StayRead

router = APIRouter(prefix="/api/v1", tags=["processes"])


def process_read(session: Session, p: Process, *, with_history: bool = False,
                 stats: processes.ProcessStats | None = None) -> ProcessRead:
    service = session.get_one(Service, p.service_id)
    customer = session.get_one(Customer, p.customer_id)
    model = catalog.get_journey_model(session, p.org_id, service.journey_model_key)
    stats = stats or processes.stats(session, [p.id])[p.id]
    history = None
    if with_history:
        history = [StayRead(seq=h.seq, moment=h.moment, cycle=h.cycle, entered_at=h.entered_at, left_at=h.left_at)
                   for h in processes.history(session, p.id)]
    return ProcessRead(id=p.id, service=service.key, customer=customer.external_id, reference=p.reference,
                       current_moment=p.current_moment,
                       next_moment=model.next_key(p.current_moment) if p.current_moment else model.keys[0],
                       entered_at=p.entered_at, cycle=p.cycle, event_count=stats.events,
                       started_at=p.started_at, last_event_at=stats.last_event_at, history=history)


@router.get("/processes")
def list_processes(p: Admin, session: DbSession, service: str | None = None, customer: str | None = None,
                   moment: str | None = None, limit: int = Query(50, ge=1, le=500),
                   after: BigInt | None = None) -> list[ProcessRead]:
    sid = catalog.get_service(session, p.org_id, service).id if service else None
    cid = customers.get_customer(session, p.org_id, customer).id if customer else None
    rows = processes.list_processes(session, p.org_id, service_id=sid, customer_id=cid, moment=moment,
                                    limit=limit, after_id=after)
    all_stats = processes.stats(session, [x.id for x in rows])
    return [process_read(session, x, stats=all_stats[x.id]) for x in rows]


@router.get("/processes/{process_id}")
def get_process(process_id: BigInt, p: Admin, session: DbSession) -> ProcessRead:
    return process_read(session, processes.get_process(session, p.org_id, process_id), with_history=True)
