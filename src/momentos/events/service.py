"""The one ingestion path every door (Segment, CloudEvents, native API, CSV/XES import) goes through.

A batch is validated whole before anything is written (nothing half-written), deduplicated by message id per
organization (nothing counted twice, also under concurrent requests), and moves processes in the same
transaction: the moves are part of storing (each event row carries its process, stay and cycle), not a reaction.
Then the stored events are handed, as one typed :class:`~momentos.events.reactions.StoredBatch`, to the reactions
the caller passes (``momentos.bootstrap.reactions()``: status notices, survey invitations, promises, the analytics
note), in the same transaction. This module knows none of them. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog import snapshot as catalog_snapshot
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.customers import consent, erased
from momentos.customers import service as customers
from momentos.dialect import BulkWriter
from momentos.errors import ValidationFailed
from momentos.events import plausibility
from momentos.events import routing as routing_mod
from momentos.events.reactions import Reaction, StoredBatch, StoredEvent
from momentos.events.schemas import MAX_WARNINGS, Batch, EventIn, IngestResult
from momentos.kit.clock import utcnow
from momentos.kit.event_time import TimeWindow
from momentos.models import Event, Service
from momentos.processes import service as processes
from momentos.processes.moves import Move

_EVENT_COLUMNS = ("org_id", "message_id", "customer_id", "service_id", "process_id", "type", "activity", "channel",
                  "moment", "stay_seq", "stay_cycle", "initiator", "source", "timestamp", "received_at", "properties")
(_MESSAGE_ID, _CUSTOMER, _SERVICE, _PROCESS, _TYPE, _ACTIVITY, _CHANNEL, _MOMENT, _STAY_SEQ, _STAY_CYCLE, _INITIATOR,
 _TIMESTAMP, _PROPERTIES) = (
    _EVENT_COLUMNS.index(c)
    for c in ("message_id", "customer_id", "service_id", "process_id", "type", "activity", "channel", "moment",
              "stay_seq", "stay_cycle", "initiator", "timestamp", "properties"))
_DATETIMES = (_EVENT_COLUMNS.index("timestamp"), _EVENT_COLUMNS.index("received_at"))
_JSONS = (_EVENT_COLUMNS.index("properties"),)
CHUNK = 1000


@dataclass
class _Prepared:
    event: EventIn
    routed: routing_mod.Routed


def ingest(session: Session, org_id: int, batch: Batch, *, source: str, reactions: Sequence[Reaction],
           received_at: datetime | None = None, window: TimeWindow | None = None) -> IngestResult:
    """Store the batch (profiles, aliases, groups, then events) and hand what was stored to ``reactions``.

    Nothing that names an erased customer is linked or stored (``customers.erased``): such messages are dropped
    and counted in ``dropped_erased``, so nothing is queued for them either.

    ``window``: the plausible event times (default: ``TimeWindow.around`` the server clock, 1900 to 7 days
    ahead; a caller's ``received_at`` may be simulated); a time outside it, or a NUL character in any text, rejects
    the batch (``events.plausibility``)."""
    plausibility.check(batch, window or TimeWindow.around(utcnow()))
    received_at = received_at or utcnow()
    for reaction in reactions:
        reaction.before_store(session, org_id)
    snapshot = catalog_snapshot.load(session, org_id)
    prepared = _prepare(snapshot, batch.events)
    result = IngestResult()
    mapping = consent.mapping_of(session, org_id) if any(i.consent_categories for i in batch.identifies) else None
    profiles = erased.screen(session, org_id, batch.identifies, batch.aliases, batch.groups)
    result.dropped_erased, warnings = profiles.dropped, profiles.warnings
    for ident in profiles.identifies:
        if customers.identify(session, org_id, ident, source=source, mapping=mapping, warnings=warnings) is not None:
            result.profiles += 1
    for a in profiles.aliases:
        customers.alias(session, org_id, a)
        result.profiles += 1
    for g in profiles.groups:
        customers.group(session, org_id, g, warnings=warnings)
        result.profiles += 1
    result.warnings = warnings[:MAX_WARNINGS]
    stored: list[StoredEvent] = []
    for start in range(0, len(prepared), CHUNK):
        result.add(_ingest_events(session, org_id, snapshot, prepared[start:start + CHUNK], source, received_at,
                                  stored))
    if reactions:
        done = StoredBatch(org_id=org_id, source=source, received_at=received_at, snapshot=snapshot, events=stored,
                           incoming=batch.events)
        for reaction in reactions:
            reaction.on_stored(session, done)
    return result


def _prepare(snapshot: CatalogSnapshot, events: Sequence[EventIn]) -> list[_Prepared]:
    """Route every event first; any error rejects the whole batch with the offending index."""
    prepared: list[_Prepared] = []
    memo: dict[tuple[str | None, ...], routing_mod.Routed] = {}
    for index, e in enumerate(events):
        key = (e.service, e.activity, e.moment, e.channel, e.initiator, e.type)
        routed = memo.get(key)
        if routed is None:
            try:
                routed = memo[key] = routing_mod.route(snapshot, e)
            except routing_mod.RoutingError as err:
                raise ValidationFailed(err.message, code=err.code, detail={"index": index, **err.detail}) from err
        prepared.append(_Prepared(e, routed))
    return prepared


def _ingest_events(session: Session, org_id: int, snapshot: CatalogSnapshot, chunk: list[_Prepared],
                   source: str, received_at: datetime, stored: list[StoredEvent]) -> IngestResult:
    """Store one chunk and move its processes; append what was stored to ``stored``.

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
    models = {pid: snapshot.models[row.service_id] for pid, row in by_id.items()}
    plan = processes.plan_moves(by_id, _moves(rows), models)
    for position, stay in plan.stays.items():
        rows[position][_STAY_SEQ], rows[position][_STAY_CYCLE] = stay.seq, stay.cycle
    inserted = BulkWriter(session).insert_returning("events", _EVENT_COLUMNS, rows, ("org_id", "message_id"),
                                                    ("id", "message_id"), datetimes=_DATETIMES, jsons=_JSONS)
    result.accepted = len(inserted)
    result.duplicates += len(rows) - len(inserted)
    ids = {mid: eid for eid, mid in inserted}
    if len(inserted) < len(rows):
        plan.rebuild.update(r[_PROCESS] for r in rows if r[_MESSAGE_ID] not in ids and r[_PROCESS] is not None)
    processes.rebuild_histories(session, by_id, sorted(plan.rebuild), models)
    processes.write(session, by_id.values())
    stored.extend(_stored_events(rows, ids, plan))
    return result


def _stored_events(rows: list[list[Any]], ids: dict[str, int], plan: processes.Plan) -> list[StoredEvent]:
    """The rows this chunk inserted, as the reactions see them."""
    stays, rebuilt = plan.stays, plan.rebuild
    return [StoredEvent(ids[r[_MESSAGE_ID]], r[_MESSAGE_ID], r[_CUSTOMER], r[_SERVICE], r[_PROCESS], r[_TYPE],
                        r[_ACTIVITY], r[_CHANNEL], r[_MOMENT], r[_INITIATOR], r[_TIMESTAMP], r[_PROPERTIES],
                        position in stays, r[_PROCESS] in rebuilt)
            for position, r in enumerate(rows) if r[_MESSAGE_ID] in ids]


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


SEEN_ACTIVITIES_MAX = 500


def seen_activities(session: Session, org_id: int, service_id: int, *, limit: int = SEEN_ACTIVITIES_MAX) -> list[str]:
    """The distinct activities of the service's stored events, in alphabetical order (at most ``limit``)."""
    stmt = (select(Event.activity).where(Event.org_id == org_id, Event.service_id == service_id).distinct()
            .order_by(Event.activity).limit(limit))
    return list(session.scalars(stmt))


def count_events(session: Session, org_id: int) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(Event).where(Event.org_id == org_id)) or 0)
