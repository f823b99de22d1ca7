"""The promise clock (``promises.tick``), run by ``momentos worker``: moves due instances forward as time passes.

Due instances are found through the ``next_check_at`` index and claimed in batches with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL (two workers never hold the same instance; SQLite's ``BEGIN IMMEDIATE`` serializes
writers). Without a new event only ``now`` changes, so the new state is ``evaluate.state_at`` on the stored
timeline — the same function a full recomputation ends with. The state change, its transition row and its
notices (outbox) are written in one transaction: a worker killed mid-batch leaves the batch untouched, to be
claimed again; a state change is recorded exactly once.
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.db import unit_of_work
from momentos.dialect import BulkWriter
from momentos.models import PromiseDefinition, PromiseInstance
from momentos.promises import definitions, notices
from momentos.promises.definitions import OrgPromises
from momentos.promises.evaluate import Timeline, state_at
from momentos.promises.service import Change, record

BATCH_SIZE = 1000
Claimed = tuple[int, int, int, int, int, int, str, datetime, datetime | None, datetime | None, int]


def batch_size() -> int:
    return int(os.environ.get("MOMENTOS_PROMISES_BATCH_SIZE", BATCH_SIZE))


def run_job(factory: sessionmaker[Session], now: datetime) -> int:
    """One batch of due instances, in one transaction; returns how many were handled."""
    with unit_of_work(factory) as session:
        return tick(session, now, batch_size())


def claim(session: Session, now: datetime, limit: int) -> list[Claimed]:
    i = PromiseInstance
    stmt = (select(i.id, i.org_id, i.definition_id, i.process_id, i.customer_id, i.service_id, i.state, i.started_at,
                   i.due_at, i.at_risk_at, i.seq)
            .where(i.next_check_at <= now).order_by(i.next_check_at).limit(limit).with_for_update(skip_locked=True))
    return [tuple(r) for r in session.execute(stmt)]


def tick(session: Session, now: datetime, limit: int = BATCH_SIZE) -> int:
    rows = claim(session, now, limit)
    if not rows:
        return 0
    due_states = _due_states(session, {r[2] for r in rows})
    updates: list[list[object]] = []
    changes: dict[int, list[Change]] = {}
    for iid, org_id, did, pid, cid, sid, state, started, due, at_risk, seq in rows:
        new, closed_at, next_check = state_at(Timeline(started, due, due_states[did], at_risk), now)
        if new != state:
            seq += 1
            at = closed_at if closed_at is not None else (at_risk or started)
            changes.setdefault(org_id, []).append(Change(iid, did, pid, cid, sid, seq, state, new, at, due, started))
        updates.append([new, closed_at, next_check, seq, now, iid])
    BulkWriter(session).update_many("promise_instances", "id", ("state", "closed_at", "next_check_at", "seq",
                                                                "updated_at"), updates, datetimes=(1, 2, 4))
    for org_id, org_changes in changes.items():
        record(session, org_id, org_changes, now, source="clock")
        notices.for_changes(session, org_id, _promises(session, org_id), org_changes, now)
    return len(rows)


def _due_states(session: Session, definition_ids: set[int]) -> dict[int, str]:
    """What reaching the due time means for each definition: broken (time rules) or kept (windows, scores)."""
    rows = session.execute(select(PromiseDefinition.id, PromiseDefinition.rule).where(
        PromiseDefinition.id.in_(sorted(definition_ids))))
    return {did: "broken" if (rule.get("type") or "time") == "time" else "kept" for did, rule in rows}


def _promises(session: Session, org_id: int) -> OrgPromises:
    cache: dict[int, OrgPromises] = session.info.setdefault("promises.org", {})
    if org_id not in cache:
        cache[org_id] = definitions.active(session, org_id)
    return cache[org_id]
