"""The one ingestion path every door (Segment, CloudEvents, native API, CSV/XES import) goes through.

A batch is validated whole before anything is written (nothing half-written), deduplicated by message id per
organization (nothing counted twice, also under concurrent requests), and moves processes in the same
transaction. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.customers import service as customers
from momentos.dialect import BulkWriter
from momentos.errors import ValidationFailed
from momentos.events import routing as routing_mod
from momentos.events.schemas import Batch, EventIn, IngestResult
from momentos.kit.clock import utcnow
from momentos.models import Event, Service
from momentos.processes import service as processes
from momentos.processes.moves import Move

_EVENT_COLUMNS = ("org_id", "message_id", "customer_id", "service_id", "process_id", "type", "activity", "channel",
                  "moment", "initiator", "source", "timestamp", "received_at", "properties")
CHUNK = 500


@dataclass
class _Prepared:
    event: EventIn
    routed: routing_mod.Routed


def ingest(session: Session, org_id: int, batch: Batch, *, source: str,
           received_at: datetime | None = None) -> IngestResult:
    received_at = received_at or utcnow()
    routing = routing_mod.load(session, org_id)
    prepared = _prepare(routing, batch.events)
    result = IngestResult()
    for ident in batch.identifies:
        if customers.identify(session, org_id, ident) is not None:
            result.profiles += 1
    for a in batch.aliases:
        customers.alias(session, org_id, a)
        result.profiles += 1
    for g in batch.groups:
        customers.group(session, org_id, g)
        result.profiles += 1
    for start in range(0, len(prepared), CHUNK):
        result.add(_ingest_events(session, org_id, routing, prepared[start:start + CHUNK], source, received_at))
    return result


def _prepare(routing: routing_mod.Routing, events: Sequence[EventIn]) -> list[_Prepared]:
    """Route every event first; any error rejects the whole batch with the offending index."""
    prepared: list[_Prepared] = []
    for index, e in enumerate(events):
        try:
            prepared.append(_Prepared(e, routing_mod.route(routing, e)))
        except routing_mod.RoutingError as err:
            raise ValidationFailed(err.message, code=err.code, detail={"index": index, **err.detail}) from err
    return prepared


def _ingest_events(session: Session, org_id: int, routing: routing_mod.Routing, chunk: list[_Prepared],
                   source: str, received_at: datetime) -> IngestResult:
    """Store one chunk. Duplicates (in the chunk or already stored, also by a concurrent request) are skipped
    by the unique (org, message id) constraint: only the rows actually inserted move processes."""
    result = IngestResult()
    unique: dict[str, _Prepared] = {}
    for p in chunk:
        unique.setdefault(p.event.message_id, p)
    fresh = list(unique.values())
    result.duplicates = len(chunk) - len(fresh)
    seen: dict[str, datetime] = {}
    for p in fresh:
        seen[p.event.customer] = min(seen.get(p.event.customer, p.event.timestamp), p.event.timestamp)
    cids = customers.resolve(session, org_id, seen)
    kept = [p for p in fresh if p.event.customer in cids]
    result.dropped_erased = len(fresh) - len(kept)
    pkeys: dict[processes.ProcessKey, datetime] = {}
    for p in kept:
        if p.routed.service_id is not None:
            key = (p.routed.service_id, cids[p.event.customer], p.event.process or "")
            pkeys[key] = min(pkeys.get(key, p.event.timestamp), p.event.timestamp)
    procs = processes.resolve(session, org_id, pkeys)
    pids = {key: row.id for key, row in procs.items()}
    rows = [_row(org_id, p, cids, pids, source, received_at) for p in kept]
    values = [tuple(r[c] for c in _EVENT_COLUMNS) for r in rows]
    inserted = BulkWriter(session).insert_returning("events", _EVENT_COLUMNS, values, ("org_id", "message_id"),
                                                    ("id", "message_id"))
    ids = {mid: eid for eid, mid in inserted}
    result.accepted = len(ids)
    result.duplicates += len(kept) - len(ids)
    stored = [(r, ids[r["message_id"]]) for r in rows if r["message_id"] in ids]
    _advance_processes(session, org_id, routing, {row.id: row for row in procs.values()}, stored)
    last_seen: dict[int, datetime] = {}
    for r in rows:
        if r["message_id"] in ids:
            cid = r["customer_id"]
            last_seen[cid] = max(last_seen.get(cid, r["timestamp"]), r["timestamp"])
    customers.touch_seen(session, last_seen)
    return result


def _row(org_id: int, p: _Prepared, cids: dict[str, int], pids: dict[processes.ProcessKey, int], source: str,
         received_at: datetime) -> dict[str, Any]:
    e, r = p.event, p.routed
    cid = cids[e.customer]
    pid = pids.get((r.service_id, cid, e.process or "")) if r.service_id is not None else None
    return {"org_id": org_id, "message_id": e.message_id, "customer_id": cid, "service_id": r.service_id,
            "process_id": pid, "type": e.type, "activity": e.activity, "channel": r.channel, "moment": r.moment,
            "initiator": r.initiator, "source": source, "timestamp": e.timestamp, "received_at": received_at,
            "properties": e.properties}


def _advance_processes(session: Session, org_id: int, routing: routing_mod.Routing,
                       procs: dict[int, processes.ProcessRow], stored: list[tuple[dict[str, Any], int]]) -> None:
    batches: dict[int, processes.ProcessBatch] = {}
    for row, eid in stored:
        pid = row["process_id"]
        if pid is None:
            continue
        ts = row["timestamp"]
        b = batches.get(pid)
        if b is None:
            b = batches[pid] = processes.ProcessBatch(routing.models[row["service_id"]], [], 0, ts, ts)
        b.events += 1
        b.first_ts, b.last_ts = min(b.first_ts, ts), max(b.last_ts, ts)
        if row["moment"] is not None:
            b.moves.append(Move(ts, eid, row["moment"]))
    processes.apply(session, org_id, procs, batches)


def timeline(session: Session, org_id: int, customer_id: int, *, limit: int = 100,
             before: datetime | None = None) -> list[tuple[Event, str | None]]:
    stmt = (select(Event, Service.key).outerjoin(Service, Service.id == Event.service_id)
            .where(Event.org_id == org_id, Event.customer_id == customer_id))
    if before is not None:
        stmt = stmt.where(Event.timestamp < before)
    rows = session.execute(stmt.order_by(Event.timestamp.desc(), Event.id.desc()).limit(limit))
    return list(rows)


def process_events(session: Session, org_id: int, process_id: int) -> list[Event]:
    stmt = select(Event).where(Event.org_id == org_id, Event.process_id == process_id)
    return list(session.scalars(stmt.order_by(Event.timestamp, Event.id)))


def count_events(session: Session, org_id: int) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(Event).where(Event.org_id == org_id)) or 0)
