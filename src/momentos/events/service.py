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

from momentos.analytics import incremental
from momentos.customers import service as customers
from momentos.dialect import BulkWriter
from momentos.errors import ValidationFailed
from momentos.events import routing as routing_mod
from momentos.events.schemas import Batch, EventIn, IngestResult
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as listening_surveys
from momentos.listening.surveys import triggers as listening_triggers
from momentos.models import Event, Service
from momentos.notify import triggers as notify_triggers
from momentos.processes import service as processes
from momentos.processes.moves import Move
from momentos.promises import service as promises

_EVENT_COLUMNS = ("org_id", "message_id", "customer_id", "service_id", "process_id", "type", "activity", "channel",
                  "moment", "stay_seq", "stay_cycle", "initiator", "source", "timestamp", "received_at", "properties")
_MESSAGE_ID, _CUSTOMER, _SERVICE, _PROCESS, _ACTIVITY, _MOMENT, _STAY_SEQ, _STAY_CYCLE, _TIMESTAMP, _PROPERTIES = (
    _EVENT_COLUMNS.index(c)
    for c in ("message_id", "customer_id", "service_id", "process_id", "activity", "moment", "stay_seq",
              "stay_cycle", "timestamp", "properties"))
_DATETIMES = (_EVENT_COLUMNS.index("timestamp"), _EVENT_COLUMNS.index("received_at"))
_JSONS = (_EVENT_COLUMNS.index("properties"),)
CHUNK = 1000


@dataclass
class _Prepared:
    event: EventIn
    routed: routing_mod.Routed


def ingest(session: Session, org_id: int, batch: Batch, *, source: str,
           received_at: datetime | None = None) -> IngestResult:
    incremental.note_ingest(session, org_id)
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
    promises.on_ingested(session, org_id, routing, batch.events, received_at)
    return result


def _prepare(routing: routing_mod.Routing, events: Sequence[EventIn]) -> list[_Prepared]:
    """Route every event first; any error rejects the whole batch with the offending index."""
    prepared: list[_Prepared] = []
    memo: dict[tuple[str | None, ...], routing_mod.Routed] = {}
    for index, e in enumerate(events):
        key = (e.service, e.activity, e.moment, e.channel, e.initiator, e.type)
        routed = memo.get(key)
        if routed is None:
            try:
                routed = memo[key] = routing_mod.route(routing, e)
            except routing_mod.RoutingError as err:
                raise ValidationFailed(err.message, code=err.code, detail={"index": index, **err.detail}) from err
        prepared.append(_Prepared(e, routed))
    return prepared


def _ingest_events(session: Session, org_id: int, routing: routing_mod.Routing, chunk: list[_Prepared],
                   source: str, received_at: datetime) -> IngestResult:
    """Store one chunk and move its processes.

    Duplicates (in the chunk, already stored, or stored meanwhile by a concurrent request) are skipped through the
    unique (organization, message id) constraint; a process touched by a row that lost such a race has its history
    rebuilt from the log, so nothing is counted twice.
    """
    result = IngestResult()
    unique: dict[str, _Prepared] = {}
    for p in chunk:
        unique.setdefault(p.event.message_id, p)
    existing = {mid for (mid,) in BulkWriter(session).lookup("events", ("message_id",), org_id, "message_id",
                                                                list(unique))}
    fresh = sorted((p for mid, p in unique.items() if mid not in existing), key=lambda p: p.event.timestamp)
    result.duplicates = len(chunk) - len(fresh)
    seen: dict[str, datetime] = {}
    for p in fresh:
        seen[p.event.customer] = min(seen.get(p.event.customer, p.event.timestamp), p.event.timestamp)
    cids = customers.resolve(session, org_id, seen)
    kept = [p for p in fresh if p.event.customer in cids]
    result.dropped_erased = len(fresh) - len(kept)
    procs, rows = _rows_with_processes(session, org_id, kept, cids, source, received_at)
    by_id = {row.id: row for row in procs.values()}
    models = {pid: routing.models[row.service_id] for pid, row in by_id.items()}
    plan = processes.plan_moves(by_id, _moves(rows), models)
    for position, stay in plan.stays.items():
        rows[position][_STAY_SEQ], rows[position][_STAY_CYCLE] = stay.seq, stay.cycle
    inserted = BulkWriter(session).insert_returning("events", _EVENT_COLUMNS, rows, ("org_id", "message_id"),
                                                    ("id", "message_id"), datetimes=_DATETIMES, jsons=_JSONS)
    result.accepted = len(inserted)
    result.duplicates += len(rows) - len(inserted)
    if len(inserted) < len(rows):
        stored = {mid for _, mid in inserted}
        plan.rebuild.update(r[_PROCESS] for r in rows if r[_MESSAGE_ID] not in stored and r[_PROCESS] is not None)
    processes.rebuild_histories(session, by_id, sorted(plan.rebuild), models)
    processes.write(session, by_id.values())
    _notify_entries(session, org_id, routing, rows, plan, inserted, received_at)
    _listen(session, org_id, routing, rows, plan, inserted, received_at)
    return result


def _notify_entries(session: Session, org_id: int, routing: routing_mod.Routing, rows: list[list[Any]],
                    plan: processes.Plan, inserted: list[tuple[Any, ...]], received_at: datetime) -> None:
    """Queue status notices (outbox, same transaction) for stored events that entered a moment needing one.

    Only entries of processes that were not rebuilt: a rebuilt process lost a race or got an out-of-order event, and
    its entries were (or will be) noticed by the request that stored them in order.
    """
    if not plan.stays or not routing.notice_moments:
        return
    stored = {mid for _, mid in inserted}
    entries = []
    for position in plan.stays:
        row = rows[position]
        if ((row[_SERVICE], row[_MOMENT]) in routing.notice_moments and row[_MESSAGE_ID] in stored
                and row[_PROCESS] not in plan.rebuild):
            entries.append(notify_triggers.Entry(row[_MESSAGE_ID], row[_CUSTOMER], row[_SERVICE], row[_PROCESS],
                                                 row[_MOMENT]))
    notify_triggers.moments_entered(session, org_id, entries, received_at)


def _listen(session: Session, org_id: int, routing: routing_mod.Routing, rows: list[list[Any]],
            plan: processes.Plan, inserted: list[tuple[Any, ...]], received_at: datetime) -> None:
    """Survey invitations for stored events that entered a moment with a survey, answers from events carrying
    scores."""
    stored = {mid: eid for eid, mid in inserted}
    triggers = listening_surveys.triggers(session, org_id, routing)
    entered = {pos for pos in plan.stays if (rows[pos][_SERVICE], rows[pos][_MOMENT]) in triggers.moments}
    touched = {pos for pos, r in enumerate(rows) if (r[_SERVICE], r[_ACTIVITY]) in triggers.activities} \
        if triggers.activities else set()
    picked = [listening_triggers.StoredEvent(
        id=stored[r[_MESSAGE_ID]], message_id=r[_MESSAGE_ID], customer_id=r[_CUSTOMER], service_id=r[_SERVICE],
        process_id=r[_PROCESS], moment=r[_MOMENT], entered=pos in entered, activity=r[_ACTIVITY],
        touched=pos in touched, timestamp=r[_TIMESTAMP], properties=r[_PROPERTIES])
        for pos, r in enumerate(rows) if r[_MESSAGE_ID] in stored
        and (pos in entered or pos in touched or listening_triggers.has_scores(r[_PROPERTIES]))]
    if picked:
        listening_triggers.events_stored(session, org_id, picked, received_at)


def _rows_with_processes(session: Session, org_id: int, kept: list[_Prepared], cids: dict[str, int], source: str,
                         received_at: datetime) -> tuple[dict[processes.ProcessKey, processes.ProcessRow],
                                                         list[list[Any]]]:
    pkeys: dict[processes.ProcessKey, datetime] = {}
    for p in kept:
        if p.routed.service_id is not None:
            key = (p.routed.service_id, cids[p.event.customer], p.event.process or "")
            pkeys[key] = min(pkeys.get(key, p.event.timestamp), p.event.timestamp)
    procs = processes.resolve(session, org_id, pkeys)
    for key, first in pkeys.items():
        row = procs[key]
        if first < row.started_at:
            row.started_at, row.dirty = first, True
    rows = []
    for p in kept:
        e, r = p.event, p.routed
        cid = cids[e.customer]
        pid = procs[(r.service_id, cid, e.process or "")].id if r.service_id is not None else None
        rows.append([org_id, e.message_id, cid, r.service_id, pid, e.type, e.activity, r.channel, r.moment, None,
                     None, r.initiator, source, e.timestamp, received_at, e.properties])
    return procs, rows


def _moves(rows: list[list[Any]]) -> dict[int, list[Move]]:
    """Moves per process, with ``ref`` = the row's position (rows are sorted by timestamp)."""
    moves: dict[int, list[Move]] = {}
    for position, row in enumerate(rows):
        if row[_PROCESS] is not None and row[_MOMENT] is not None:
            moves.setdefault(row[_PROCESS], []).append(Move(row[_TIMESTAMP], position, row[_MOMENT]))
    return moves


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
