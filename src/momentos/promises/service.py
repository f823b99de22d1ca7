"""Promise instances: created and recomputed from the event history when events arrive; read for pages and APIs.

After every ingestion the promises' reaction to stored events (:mod:`momentos.promises.reactions`) calls
``refresh`` for the processes a batch touched. Every instance is recomputed in full with ``evaluate`` — nothing is
counted incrementally — and each state change is recorded once (``record``), as a transition with its notices, in
the caller's transaction. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from momentos.db import is_postgres, table_of
from momentos.dialect import BulkWriter, insert_ignore
from momentos.models import Event, PromiseDefinition, PromiseInstance
from momentos.promises import definitions
from momentos.promises.definitions import Compiled, OrgPromises
from momentos.promises.evaluate import Evaluation, Fact, evaluate

_INSTANCES = table_of(PromiseInstance)
PROCESS_CHUNK = 2000
"""Processes recomputed per round (their ids are bound as parameters)."""
_TRANSITION_COLUMNS = ("org_id", "instance_id", "seq", "from_state", "to_state", "at", "recorded_at", "source")


@dataclass(frozen=True)
class Change:
    """One state change of one instance, to be recorded (transition) and told (notices)."""

    instance_id: int
    definition_id: int
    process_id: int
    customer_id: int
    service_id: int
    seq: int
    from_state: str | None
    to_state: str
    at: datetime
    due_at: datetime | None
    started_at: datetime


@dataclass(frozen=True)
class Touched:
    service_id: int
    customer_id: int


def facts_of(session: Session, process_ids: Sequence[int], activities: frozenset[str]) -> dict[int, list[Fact]]:
    out: dict[int, list[Fact]] = {pid: [] for pid in process_ids}
    if not process_ids or not activities:
        return out
    stmt = select(Event.process_id, Event.timestamp, Event.message_id, Event.activity, Event.properties).where(
        Event.process_id.in_(list(process_ids)), Event.activity.in_(sorted(activities)))
    for pid, ts, mid, activity, props in session.execute(stmt):
        out[pid].append(Fact(ts, mid, activity, props or {}))
    return out


def _locked_instances(session: Session, process_ids: Sequence[int]) -> dict[tuple[int, int], PromiseInstance]:
    stmt = (select(PromiseInstance).where(PromiseInstance.process_id.in_(list(process_ids)))
            .order_by(PromiseInstance.id).execution_options(populate_existing=True))  # the clock writes in bulk
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return {(i.definition_id, i.process_id): i for i in session.scalars(stmt)}


def _evaluate(session: Session, promises: OrgPromises, touched: dict[int, Touched], pids: Sequence[int],
              now: datetime) -> dict[tuple[int, int], tuple[Compiled, Evaluation]]:
    facts = facts_of(session, pids, promises.activities)
    evaluated: dict[tuple[int, int], tuple[Compiled, Evaluation]] = {}
    for pid in pids:
        for d in promises.by_service.get(touched[pid].service_id, []):
            ev = evaluate(d.rule, facts[pid], now)
            if ev is not None:
                evaluated[(d.id, pid)] = (d, ev)
    return evaluated


def refresh(session: Session, org_id: int, promises: OrgPromises, touched: dict[int, Touched],
            now: datetime) -> list[Change]:
    """Recompute every instance of the touched processes from their full history; returns the state changes."""
    if not touched:
        return []
    pids = sorted(touched)
    evaluated = _evaluate(session, promises, touched, pids, now)
    instances = _locked_instances(session, pids)
    missing = [key for key in evaluated if key not in instances]
    if missing:
        _create(session, org_id, [(key, touched[key[1]], evaluated[key][1]) for key in missing], now)
        instances = _locked_instances(session, pids)
    # The instances are locked now, so a concurrent batch of the same processes has committed: read the history
    # again (a new statement sees its events) and evaluate on that, so the last writer never writes a stale state.
    evaluated = _evaluate(session, promises, touched, pids, now)
    missing = [key for key in evaluated if key not in instances]
    if missing:
        _create(session, org_id, [(key, touched[key[1]], evaluated[key][1]) for key in missing], now)
        instances = _locked_instances(session, pids)
    changes: list[Change] = []
    for key, (d, ev) in evaluated.items():
        inst = instances[key]
        previous = None if inst.seq == 0 else inst.state
        _apply(inst, ev, now)
        if previous != ev.state:
            inst.seq += 1
            changes.append(_change(inst, d, previous, ev))
    session.flush()
    return changes


def _create(session: Session, org_id: int, rows: list[tuple[tuple[int, int], Touched, Evaluation]],
            now: datetime) -> None:
    """New instances (``seq`` 0: no state recorded yet); a concurrent batch that created one first wins, and
    this one then waits for it and continues from its row."""
    insert_ignore(session, _INSTANCES, [
        {"org_id": org_id, "definition_id": did, "process_id": pid, "customer_id": t.customer_id,
         "service_id": t.service_id, "state": ev.state, "started_at": ev.started_at, "paused": ev.paused, "seq": 0,
         "updated_at": now} for (did, pid), t, ev in rows], ("definition_id", "process_id"))


def _apply(inst: PromiseInstance, ev: Evaluation, now: datetime) -> None:
    inst.state, inst.started_at, inst.due_at, inst.at_risk_at = ev.state, ev.started_at, ev.due_at, ev.at_risk_at
    inst.stopped_at, inst.closed_at, inst.paused, inst.next_check_at = (ev.stopped_at, ev.closed_at, ev.paused,
                                                                       ev.next_check_at)
    inst.updated_at = now


def _change(inst: PromiseInstance, d: Compiled, previous: str | None, ev: Evaluation) -> Change:
    if ev.state in ("kept", "broken"):
        at = ev.closed_at or ev.started_at
    elif ev.state == "at_risk":
        at = ev.at_risk_at or ev.started_at
    else:
        at = ev.started_at
    return Change(inst.id, d.id, inst.process_id, inst.customer_id, inst.service_id, inst.seq, previous, ev.state,
                  at, ev.due_at, ev.started_at)


def record(session: Session, org_id: int, changes: Sequence[Change], now: datetime, *, source: str) -> None:
    """One transition row per change (unique per instance and sequence number)."""
    rows = [[org_id, c.instance_id, c.seq, c.from_state, c.to_state, c.at, now, source] for c in changes]
    BulkWriter(session).insert_returning("promise_transitions", _TRANSITION_COLUMNS, rows, ("instance_id", "seq"),
                                         ("id",), datetimes=(5, 6))


def instances_of_process(session: Session, org_id: int, process_id: int) -> list[tuple[PromiseInstance,
                                                                                        PromiseDefinition]]:
    stmt = (select(PromiseInstance, PromiseDefinition)
            .join(PromiseDefinition, PromiseDefinition.id == PromiseInstance.definition_id)
            .where(PromiseInstance.org_id == org_id, PromiseInstance.process_id == process_id)
            .order_by(PromiseInstance.started_at, PromiseInstance.id))
    return [(i, d) for i, d in session.execute(stmt)]


def instances_of_customer(session: Session, org_id: int, customer_id: int,
                          limit: int = 50) -> list[tuple[PromiseInstance, PromiseDefinition]]:
    """A customer's promise instances, newest first."""
    stmt = (select(PromiseInstance, PromiseDefinition)
            .join(PromiseDefinition, PromiseDefinition.id == PromiseInstance.definition_id)
            .where(PromiseInstance.org_id == org_id, PromiseInstance.customer_id == customer_id)
            .order_by(PromiseInstance.started_at.desc(), PromiseInstance.id.desc()).limit(limit))
    return [(i, d) for i, d in session.execute(stmt)]


def broken_processes(session: Session, org_id: int, service_id: int, moments: Sequence[str],
                     start: datetime | None = None, end: datetime | None = None,
                     customers: Select[int] | None = None) -> list[int]:
    """Processes of a service with a promise of one of ``moments`` not kept (closed in [start, end)), of
    ``customers`` only (a query of ids) if given."""
    stmt = (select(PromiseInstance.process_id).distinct()
            .join(PromiseDefinition, PromiseDefinition.id == PromiseInstance.definition_id)
            .where(PromiseInstance.org_id == org_id, PromiseInstance.service_id == service_id,
                   PromiseInstance.state == "broken", PromiseDefinition.moment.in_(list(moments))))
    if start is not None:
        stmt = stmt.where(PromiseInstance.closed_at >= start)
    if end is not None:
        stmt = stmt.where(PromiseInstance.closed_at < end)
    if customers is not None:
        stmt = stmt.where(PromiseInstance.customer_id.in_(customers))
    return [int(i) for i in session.scalars(stmt)]


def list_instances(session: Session, org_id: int, *, promise: str | None = None, state: str | None = None,
                   process_id: int | None = None, limit: int = 100,
                   after_id: int | None = None) -> list[tuple[PromiseInstance, str]]:
    stmt = (select(PromiseInstance, PromiseDefinition.key)
            .join(PromiseDefinition, PromiseDefinition.id == PromiseInstance.definition_id)
            .where(PromiseInstance.org_id == org_id))
    if promise is not None:
        stmt = stmt.where(PromiseDefinition.key == promise)
    if state is not None:
        stmt = stmt.where(PromiseInstance.state == state)
    if process_id is not None:
        stmt = stmt.where(PromiseInstance.process_id == process_id)
    if after_id is not None:
        stmt = stmt.where(PromiseInstance.id > after_id)
    return [(i, k) for i, k in session.execute(stmt.order_by(PromiseInstance.id).limit(limit))]


def recompute(session: Session, org_id: int, definition: PromiseDefinition, process_id: int,
              now: datetime) -> Evaluation | None:
    """A full recomputation of one instance from the stored history (for checks and tests)."""
    rule = definitions.compile_definition(definition).rule
    return evaluate(rule, facts_of(session, [process_id], rule.activities)[process_id], now)
