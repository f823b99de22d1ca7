"""\"What would this promise have scored last month?\": a definition (stored or a draft) evaluated against the
stored events of a period, with the clock at the period's end, storing nothing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.models import Event
from momentos.promises.evaluate import Evaluation, Fact, evaluate
from momentos.promises.rules import Rule
from momentos.promises.schemas import ScoreResult


def evaluations(session: Session, org_id: int, service_id: int, rule: Rule, start: datetime | None,
                end: datetime | None, now: datetime) -> dict[int, Evaluation]:
    """Per process of the service: the instance the promise would have had at ``now`` (events after ``now`` are
    not known yet), for the instances started in [start, end)."""
    stmt = select(Event.process_id, Event.timestamp, Event.message_id, Event.activity, Event.properties).where(
        Event.org_id == org_id, Event.service_id == service_id, Event.process_id.is_not(None),
        Event.activity.in_(sorted(rule.activities)), Event.timestamp <= now)
    facts: dict[int, list[Fact]] = {}
    for pid, ts, mid, activity, props in session.execute(stmt):
        facts.setdefault(pid, []).append(Fact(ts, mid, activity, props or {}))
    out: dict[int, Evaluation] = {}
    for pid, process_facts in facts.items():
        ev = evaluate(rule, process_facts, now)
        if ev is None or (start is not None and ev.started_at < start) or (end is not None and ev.started_at >= end):
            continue
        out[pid] = ev
    return out


def score(evaluated: dict[int, Evaluation], processes: int) -> ScoreResult:
    states = Counter(ev.state for ev in evaluated.values())
    closed = states["kept"] + states["broken"]
    elapsed = [ev.elapsed_seconds / 3600 for ev in evaluated.values() if ev.stopped_at is not None]
    return ScoreResult(processes=processes, started=len(evaluated),
                      states={s: states.get(s, 0) for s in ("pending", "at_risk", "kept", "broken")},
                      compliance=states["kept"] / closed if closed else None,
                      median_elapsed_hours=median(elapsed) if elapsed else None)


def score_rule(session: Session, org_id: int, service_id: int, rule: Rule, start: datetime | None,
              end: datetime | None, now: datetime) -> ScoreResult:
    from sqlalchemy import func

    from momentos.models import Process

    processes = int(session.scalar(select(func.count()).select_from(Process).where(
        Process.org_id == org_id, Process.service_id == service_id)) or 0)
    return score(evaluations(session, org_id, service_id, rule, start, end, now), processes)
