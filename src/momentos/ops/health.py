"""The health of an organization's background work: the (global) workers and the organization's own queues —
the outbox, the analytics watermark, the promise clock and the text analysis — each as a count and the age of its
oldest item. A warning is raised when work is waiting and no worker is alive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from momentos.models import AnalyticsState, Event, Feedback, Notification, PromiseInstance, WorkerHeartbeat
from momentos.ops.schemas import AnalyticsHealth, Backlog, Health, OutboxHealth, Warning, WorkerRead
from momentos.worker import heartbeats


def check(session: Session, org_id: int, now: datetime) -> Health:
    workers = [_worker(row, now) for row in heartbeats.recent(session)]
    alive = sum(w.status == "alive" for w in workers)
    outbox = _outbox(session, org_id, now)
    analytics = _analytics(session, org_id, now)
    promises = _backlog(session, now, func.min(PromiseInstance.next_check_at),
                        PromiseInstance.org_id == org_id, PromiseInstance.next_check_at <= now)
    feedback = _backlog(session, now, func.min(Feedback.created_at), Feedback.org_id == org_id,
                        Feedback.analyzed_at.is_(None), Feedback.text.is_not(None))
    warnings: list[Warning] = []
    if not alive and outbox.due.count:
        warnings.append("notifications_waiting")
    if not alive and (promises.count or feedback.count or analytics.behind.count):
        warnings.append("work_waiting")
    return Health(checked_at=now, workers_alive=alive, workers=workers, outbox=outbox, analytics=analytics,
                  promise_checks_overdue=promises, feedback_unanalyzed=feedback, warnings=warnings)


def _worker(row: WorkerHeartbeat, now: datetime) -> WorkerRead:
    return WorkerRead(worker_id=row.worker_id, name=row.name, hostname=row.hostname, pid=row.pid,
                      version=row.version, status=heartbeats.status_of(row, now), started_at=row.started_at,
                      last_beat_at=row.last_beat_at, stopped_at=row.stopped_at,
                      seconds_since_beat=max(0.0, (now - row.last_beat_at).total_seconds()),
                      interval_seconds=row.interval_seconds, rounds=row.rounds, delivered=row.delivered,
                      failed=row.failed, jobs=row.jobs or {}, last_error=row.last_error,
                      last_error_at=row.last_error_at)


def _backlog(session: Session, now: datetime, oldest: ColumnElement[datetime | None],
             *where: ColumnElement[bool]) -> Backlog:
    count, first = session.execute(select(func.count(), oldest).where(*where)).one()
    return Backlog(count=int(count or 0), oldest_at=first,
                   age_seconds=None if first is None else max(0.0, (now - first).total_seconds()))


def _outbox(session: Session, org_id: int, now: datetime) -> OutboxHealth:
    n = Notification
    counts = dict(session.execute(select(n.status, func.count()).where(
        n.org_id == org_id, n.status.in_(("pending", "claimed", "dead"))).group_by(n.status)).all())
    due = or_((n.status == "pending") & (n.next_attempt_at <= now),
              (n.status == "claimed") & (n.lease_until < now))
    return OutboxHealth(pending=int(counts.get("pending", 0) + counts.get("claimed", 0)),
                        due=_backlog(session, now, func.min(n.next_attempt_at), n.org_id == org_id, due),
                        dead=int(counts.get("dead", 0)))


def _analytics(session: Session, org_id: int, now: datetime) -> AnalyticsHealth:
    state = session.get(AnalyticsState, org_id)
    watermark = state.event_watermark if state is not None else 0
    behind = _backlog(session, now, func.min(Event.received_at), Event.org_id == org_id, Event.id > watermark)
    return AnalyticsHealth(watermark=watermark, behind=behind,
                           refreshed_at=state.refreshed_at if state is not None else None)
