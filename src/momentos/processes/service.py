"""Process rules: find or open processes, move them through moments, read their history. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from momentos.catalog.presets import JourneyModelDef
from momentos.db import table_of
from momentos.dialect import PG_TIMESTAMP, BulkWriter, pg_time_text
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.models import Event, Process
from momentos.processes.moves import Move, State, Stay, advance, is_in_order, rebuild, with_left_times

ProcessKey = tuple[int, int, str]  # (service_id, customer_id, reference)
_P = table_of(Process)
_STATE_COLUMNS = ("id", "service_id", "customer_id", "reference", "current_moment", "entered_at", "cycle",
                  "moment_seq", "last_move_at", "started_at")
_MUTABLE = _STATE_COLUMNS[4:]
_INSERT_COLUMNS = ("org_id", "service_id", "customer_id", "reference", "cycle", "moment_seq", "started_at",
                   "created_at")
_UPDATE_DATETIMES = tuple(i for i, c in enumerate(_MUTABLE) if c.endswith("_at"))


@dataclass
class ProcessRow:
    """The mutable state of one process, read and written with bulk statements."""

    id: int
    service_id: int
    customer_id: int
    reference: str
    current_moment: str | None
    entered_at: datetime | None
    cycle: int
    moment_seq: int
    last_move_at: datetime | None
    started_at: datetime
    dirty: bool = field(default=False, compare=False)

    @property
    def key(self) -> ProcessKey:
        return (self.service_id, self.customer_id, self.reference)

    @property
    def state(self) -> State:
        return State(self.current_moment, self.entered_at, self.cycle, self.moment_seq, self.last_move_at)

    def store(self, s: State) -> None:
        self.current_moment, self.entered_at, self.cycle, self.moment_seq = s.current, s.entered_at, s.cycle, s.seq
        self.last_move_at = s.last_ts
        self.dirty = True


def resolve(session: Session, org_id: int, first_seen: Mapping[ProcessKey, datetime]) -> dict[ProcessKey, ProcessRow]:
    """Find the processes for (service, customer, reference) keys, opening the missing ones."""
    found = _lookup(session, org_id, list(first_seen))
    missing = sorted(k for k in first_seen if k not in found)  # one lock order for concurrent batches
    if missing:
        found.update(_open(session, org_id, missing, first_seen))
        raced = [k for k in missing if k not in found]
        if raced:
            found.update(_lookup(session, org_id, raced))
    return found


def open_new(session: Session, org_id: int, first_seen: Mapping[ProcessKey, datetime]
             ) -> dict[ProcessKey, ProcessRow] | None:
    """Open a process for every key, or None (opening nothing) if any of them exists already."""
    if _lookup(session, org_id, list(first_seen)):
        return None
    opened = _open(session, org_id, sorted(first_seen), first_seen)
    return opened if len(opened) == len(first_seen) else None  # fewer: a concurrent batch opened some


def open_deferred(session: Session, org_id: int, first_seen: Mapping[ProcessKey, datetime]
                  ) -> dict[ProcessKey, ProcessRow] | None:
    """The bulk road's :func:`open_new`, to be followed by :func:`write_opened` once the moves are planned.

    On PostgreSQL nothing is inserted yet: the ids are drawn now (in key order, as the insert gives them), and
    :func:`write_opened` writes each row once, state included, with one COPY instead of an insert and an update.
    Elsewhere this is :func:`open_new`. None if any of the processes exists already.
    """
    writer = BulkWriter(session)
    if not writer.postgres:
        return open_new(session, org_id, first_seen)
    if _lookup(session, org_id, list(first_seen)):
        return None
    keys = sorted(first_seen)
    ids = writer.next_ids("processes", len(keys))
    return {k: ProcessRow(pid, *k, None, None, 1, 0, None, first_seen[k]) for pid, k in zip(ids, keys, strict=True)}


def write_opened(session: Session, org_id: int, rows: Iterable[ProcessRow]) -> None:
    """Write processes from :func:`open_deferred` with their planned state. On PostgreSQL, one opened meanwhile by a
    concurrent transaction fails the COPY (unique violation): the bulk road then falls back to the general path."""
    writer = BulkWriter(session)
    if not writer.postgres:
        write(session, rows)
        return
    listed = sorted(rows, key=lambda p: p.id)
    times = pl.Datetime("us", "UTC")
    frame = pl.DataFrame({name: [getattr(p, name) for p in listed] for name in _STATE_COLUMNS},
                         schema={"id": pl.Int64, "service_id": pl.Int64, "customer_id": pl.Int64,
                                 "reference": pl.String, "current_moment": pl.String, "entered_at": times,
                                 "cycle": pl.Int64, "moment_seq": pl.Int64, "last_move_at": times,
                                 "started_at": times})
    writer.copy_frame("processes", frame.with_columns(
        pl.col(pl.Datetime).dt.strftime(PG_TIMESTAMP), pl.lit(org_id, pl.Int64).alias("org_id"),
        pl.lit(pg_time_text(utcnow())).alias("created_at")))


def _open(session: Session, org_id: int, keys: Sequence[ProcessKey], first_seen: Mapping[ProcessKey, datetime]
          ) -> dict[ProcessKey, ProcessRow]:
    now = utcnow()
    rows = [(org_id, s, c, r, 1, 0, first_seen[(s, c, r)], now) for (s, c, r) in keys]
    inserted = BulkWriter(session).insert_returning(
        "processes", _INSERT_COLUMNS, rows, ("org_id", "service_id", "customer_id", "reference"),
        ("id", "service_id", "customer_id", "reference"), datetimes=(6, 7))
    return {(s, c, r): ProcessRow(pid, s, c, r, None, None, 1, 0, None, first_seen[(s, c, r)])
            for pid, s, c, r in inserted}


def _lookup(session: Session, org_id: int, keys: list[ProcessKey]) -> dict[ProcessKey, ProcessRow]:
    found: dict[ProcessKey, ProcessRow] = {}
    wanted = set(keys)
    bulk = BulkWriter(session)
    customers = sorted({c for _, c, _ in keys})
    for values in bulk.lookup("processes", _STATE_COLUMNS, org_id, "customer_id", customers, org_in_key=False):
        pid, s, c, r, moment, entered, cycle, seq, last_move, started = values
        if (s, c, r) in wanted:
            found[(s, c, r)] = ProcessRow(pid, s, c, r, moment, bulk.to_datetime(entered), cycle, seq,
                                          bulk.to_datetime(last_move), bulk.to_datetime(started) or utcnow())
    return found


@dataclass
class Plan:
    """What a batch does to the processes before its events are stored."""

    stays: dict[int, Stay] = field(default_factory=dict)
    """Batch position of an event → the stay it opens."""
    rebuild: set[int] = field(default_factory=set)
    """Processes whose history must be recomputed from the log once the events are stored (out of order)."""


def plan_moves(rows: Mapping[int, ProcessRow], moves: Mapping[int, list[Move]],
               models: Mapping[int, JourneyModelDef]) -> Plan:
    """Advance in-order processes in memory; ``moves`` are per process id with ``ref`` = batch position."""
    plan = Plan()
    for pid, process_moves in moves.items():
        p = rows[pid]
        ordered = sorted(process_moves, key=lambda m: (m.timestamp, m.ref))
        if not is_in_order(p.state, ordered[0].timestamp):
            plan.rebuild.add(pid)
            continue
        result = advance(p.state, ordered, models[pid].positions)
        p.store(result.state)
        plan.stays.update({s.ref: s for s in result.stays})
    return plan


def rebuild_histories(session: Session, rows: Mapping[int, ProcessRow], pids: Iterable[int],
                      models: Mapping[int, JourneyModelDef]) -> None:
    """Recompute histories from every stored move and correct the events' stay marks (only those that differ)."""
    changes: list[tuple[Any, ...]] = []
    for pid in pids:
        stored = session.execute(select(Event.timestamp, Event.id, Event.moment, Event.stay_seq, Event.stay_cycle)
                                 .where(Event.process_id == pid, Event.moment.is_not(None))).all()
        result = rebuild((Move(ts, eid, m) for ts, eid, m, _, _ in stored if m is not None), models[pid].positions)
        marks = {s.ref: (s.seq, s.cycle) for s in result.stays}
        changes.extend((*marks.get(eid, (None, None)), eid) for _, eid, _, seq, cycle in stored
                       if marks.get(eid, (None, None)) != (seq, cycle))
        rows[pid].store(result.state)
    BulkWriter(session).update_many("events", "id", ("stay_seq", "stay_cycle"), sorted(changes, key=lambda c: c[-1]))


def write(session: Session, rows: Iterable[ProcessRow]) -> None:
    changed = sorted((p for p in rows if p.dirty), key=lambda p: p.id)  # rows locked in id order
    BulkWriter(session).update_many("processes", "id", _MUTABLE,
                                    [(*(getattr(p, n) for n in _MUTABLE), p.id) for p in changed],
                                    datetimes=_UPDATE_DATETIMES)


def moves_of(session: Session, process_id: int) -> list[Move]:
    stmt = select(Event.timestamp, Event.id, Event.moment).where(Event.process_id == process_id,
                                                                 Event.moment.is_not(None))
    return [Move(ts, eid, m) for ts, eid, m in session.execute(stmt) if m is not None]


def get_process(session: Session, org_id: int, process_id: int) -> Process:
    p = session.scalar(select(Process).where(Process.id == process_id, Process.org_id == org_id))
    if p is None:
        raise NotFound("Process not found.", code="process_not_found", detail={"process": process_id})
    return p


def history(session: Session, process_id: int) -> list[Stay]:
    """The stays of a process in order, with entered and left times."""
    stmt = (select(Event.stay_seq, Event.moment, Event.stay_cycle, Event.timestamp, Event.id)
            .where(Event.process_id == process_id, Event.stay_seq.is_not(None)).order_by(Event.stay_seq))
    return with_left_times([Stay(seq, m, cycle, ts, eid) for seq, m, cycle, ts, eid in session.execute(stmt)
                            if seq is not None and m is not None and cycle is not None])


@dataclass(frozen=True)
class ProcessStats:
    events: int
    last_event_at: datetime | None


def stats(session: Session, process_ids: Sequence[int]) -> dict[int, ProcessStats]:
    """Event count and latest event time per process (from the event log)."""
    if not process_ids:
        return {}
    stmt = (select(Event.process_id, func.count(), func.max(Event.timestamp))
            .where(Event.process_id.in_(list(process_ids))).group_by(Event.process_id))
    found = {pid: ProcessStats(n, _aware(last)) for pid, n, last in session.execute(stmt) if pid is not None}
    return {pid: found.get(pid, ProcessStats(0, None)) for pid in process_ids}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates return the stored text
        value = datetime.fromisoformat(value)
    from momentos.kit.clock import ensure_utc

    return ensure_utc(value)


def list_processes(session: Session, org_id: int, *, service_id: int | None = None,
                   customer_id: int | None = None, moment: str | None = None,
                   limit: int = 50, after_id: int | None = None) -> Sequence[Process]:
    stmt = select(Process).where(Process.org_id == org_id)
    if service_id is not None:
        stmt = stmt.where(Process.service_id == service_id)
    if customer_id is not None:
        stmt = stmt.where(Process.customer_id == customer_id)
    if moment is not None:
        stmt = stmt.where(Process.current_moment == moment)
    if after_id is not None:
        stmt = stmt.where(Process.id > after_id)
    return session.scalars(stmt.order_by(Process.id).limit(limit)).all()


def count_by_moment(session: Session, org_id: int, service_id: int,
                    customers: Select[int] | None = None) -> dict[str, int]:
    """Processes of a service standing in each moment now (only those of ``customers``, a query of ids, if given)."""
    stmt = (select(Process.current_moment, func.count()).where(Process.org_id == org_id,
                                                              Process.service_id == service_id,
                                                              Process.current_moment.is_not(None))
            .group_by(Process.current_moment))
    if customers is not None:
        stmt = stmt.where(Process.customer_id.in_(customers))
    return {m: n for m, n in session.execute(stmt) if m is not None}


@dataclass(frozen=True)
class ServiceFigures:
    processes: int = 0
    customers: int = 0


def count_by_service(session: Session, org_id: int) -> dict[int, ServiceFigures]:
    """Processes and distinct customers per service of one organization."""
    stmt = (select(Process.service_id, func.count(), func.count(distinct(Process.customer_id)))
            .where(Process.org_id == org_id).group_by(Process.service_id))
    return {sid: ServiceFigures(int(n), int(c)) for sid, n, c in session.execute(stmt)}
