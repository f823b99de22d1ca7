"""Process rules: find or open processes, move them through moments, read their history. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from momentos.catalog.presets import JourneyModelDef
from momentos.db import table_of
from momentos.dialect import BulkWriter
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.models import Event, Process, ProcessMoment
from momentos.processes.moves import Advance, Move, State, Stay, advance, is_in_order, rebuild

ProcessKey = tuple[int, int, str]  # (service_id, customer_id, reference)
_P = table_of(Process)
_PM = table_of(ProcessMoment)
_STATE_COLUMNS = ("id", "service_id", "customer_id", "reference", "current_moment", "entered_at", "cycle",
                  "moment_seq", "last_moment_event_at", "last_moment_event_id", "event_count", "started_at",
                  "last_event_at")
_MUTABLE = _STATE_COLUMNS[4:]
_INSERT_COLUMNS = ("org_id", "service_id", "customer_id", "reference", "cycle", "moment_seq", "event_count",
                   "started_at", "last_event_at", "created_at")
_UPDATE_SQL = f"UPDATE processes SET {', '.join(f'{c} = ?' for c in _MUTABLE)} WHERE id = ?"  # noqa: S608
_STAY_COLUMNS = ("org_id", "process_id", "seq", "moment", "cycle", "entered_at", "left_at", "entered_event_id")
_STAY_SQL = (f"INSERT INTO process_moments ({', '.join(_STAY_COLUMNS)}) "  # noqa: S608 - constants
             f"VALUES ({', '.join('?' * len(_STAY_COLUMNS))})")


@dataclass
class ProcessRow:
    """The mutable state of one process, read and written with bulk Core statements."""

    id: int
    service_id: int
    customer_id: int
    reference: str
    current_moment: str | None
    entered_at: datetime | None
    cycle: int
    moment_seq: int
    last_moment_event_at: datetime | None
    last_moment_event_id: int | None
    event_count: int
    started_at: datetime
    last_event_at: datetime

    @property
    def key(self) -> ProcessKey:
        return (self.service_id, self.customer_id, self.reference)

    @property
    def state(self) -> State:
        return State(self.current_moment, self.entered_at, self.cycle, self.moment_seq,
                     self.last_moment_event_at, self.last_moment_event_id)

    def store(self, s: State) -> None:
        self.current_moment, self.entered_at, self.cycle, self.moment_seq = s.current, s.entered_at, s.cycle, s.seq
        self.last_moment_event_at, self.last_moment_event_id = s.last_ts, s.last_event_id


def resolve(session: Session, org_id: int, first_seen: Mapping[ProcessKey, datetime]) -> dict[ProcessKey, ProcessRow]:
    """Find the processes for (service, customer, reference) keys, opening the missing ones."""
    found = _lookup(session, org_id, list(first_seen))
    missing = [k for k in first_seen if k not in found]
    if missing:
        now = utcnow()
        rows = [(org_id, s, c, r, 1, 0, 0, first_seen[(s, c, r)], first_seen[(s, c, r)], now)
                for (s, c, r) in missing]
        inserted = BulkWriter(session).insert_returning(
            "processes", _INSERT_COLUMNS, rows, ("org_id", "service_id", "customer_id", "reference"),
            ("id", "service_id", "customer_id", "reference"))
        for pid, s, c, r in inserted:
            ts = first_seen[(s, c, r)]
            found[(s, c, r)] = ProcessRow(pid, s, c, r, None, None, 1, 0, None, None, 0, ts, ts)
        raced = [k for k in missing if k not in found]
        if raced:
            found.update(_lookup(session, org_id, raced))
    return found


def _lookup(session: Session, org_id: int, keys: list[ProcessKey]) -> dict[ProcessKey, ProcessRow]:
    found: dict[ProcessKey, ProcessRow] = {}
    wanted = set(keys)
    customers = sorted({c for _, c, _ in keys})
    columns = [_P.c[name] for name in _STATE_COLUMNS]
    for start in range(0, len(customers), 500):
        stmt = select(*columns).where(_P.c.org_id == org_id, _P.c.customer_id.in_(customers[start:start + 500]))
        for values in session.execute(stmt):
            row = ProcessRow(*values)
            if row.key in wanted:
                found[row.key] = row
    return found


@dataclass
class ProcessBatch:
    """What one ingestion batch does to one process."""

    model: JourneyModelDef
    moves: list[Move]
    events: int
    first_ts: datetime
    last_ts: datetime


def apply(session: Session, org_id: int, rows: Mapping[int, ProcessRow], batches: Mapping[int, ProcessBatch]) -> None:
    """Apply new events to their processes: counts, times and the moment history, in bulk statements."""
    new_stays: list[tuple[Any, ...]] = []
    closed: list[tuple[Any, ...]] = []
    for pid, b in batches.items():
        p = rows[pid]
        p.event_count += b.events
        p.last_event_at = max(p.last_event_at, b.last_ts)
        p.started_at = min(p.started_at, b.first_ts)
        if not b.moves:
            continue
        moves = sorted(b.moves, key=lambda m: (m.timestamp, m.event_id))
        state = p.state
        if is_in_order(state, moves[0]):
            result = advance(state, moves, b.model)
            if result.left_at is not None:
                closed.append((result.left_at, pid, state.seq))
        else:
            result = _rebuild(session, pid, b.model)
        p.store(result.state)
        new_stays.extend(_stay_row(org_id, pid, s) for s in result.stays)
    _write(session, [rows[pid] for pid in batches], closed, new_stays)


def _write(session: Session, changed: list[ProcessRow], closed: list[tuple[Any, ...]],
           new_stays: list[tuple[Any, ...]]) -> None:
    bulk = BulkWriter(session)
    bulk.executemany(_UPDATE_SQL, [(*(getattr(p, n) for n in _MUTABLE), p.id) for p in changed])
    bulk.executemany("UPDATE process_moments SET left_at = ? WHERE process_id = ? AND seq = ?", closed)
    bulk.executemany(_STAY_SQL, new_stays)


def _stay_row(org_id: int, pid: int, s: Stay) -> tuple[Any, ...]:
    return (org_id, pid, s.seq, s.moment, s.cycle, s.entered_at, s.left_at, s.entered_event_id)


def moves_of(session: Session, process_id: int) -> list[Move]:
    stmt = (select(Event.timestamp, Event.id, Event.moment)
            .where(Event.process_id == process_id, Event.moment.is_not(None))
            .order_by(Event.timestamp, Event.id))
    return [Move(ts, eid, m) for ts, eid, m in session.execute(stmt) if m is not None]


def _rebuild(session: Session, process_id: int, model: JourneyModelDef) -> Advance:
    """Out-of-order arrival: recompute the history from every event of the process."""
    session.execute(delete(_PM).where(_PM.c.process_id == process_id))
    return rebuild(moves_of(session, process_id), model)


def get_process(session: Session, org_id: int, process_id: int) -> Process:
    p = session.scalar(select(Process).where(Process.id == process_id, Process.org_id == org_id))
    if p is None:
        raise NotFound("Process not found.", code="process_not_found", detail={"process": process_id})
    return p


def history(session: Session, process_id: int) -> Sequence[ProcessMoment]:
    return session.scalars(select(ProcessMoment).where(ProcessMoment.process_id == process_id)
                           .order_by(ProcessMoment.seq)).all()


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


def count_by_moment(session: Session, org_id: int, service_id: int) -> dict[str, int]:
    stmt = (select(Process.current_moment, func.count()).where(Process.org_id == org_id,
                                                              Process.service_id == service_id,
                                                              Process.current_moment.is_not(None))
            .group_by(Process.current_moment))
    return {m: n for m, n in session.execute(stmt) if m is not None}
