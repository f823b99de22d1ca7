"""The health of an organization's background work: the (global) workers' liveness and the organization's own
figures — the outbox, its deliveries and delivery errors, the analytics watermark, the promise clock and the text
analysis — each as a count and the age of its oldest item. A warning is raised when work is waiting and no worker
is alive.

Workers serve every organization, so what they count and the errors they meet are not one organization's: an
organization sees whether they are alive and their jobs' timing, never their delivery counts or error texts.
Those are for whoever runs the workers (``workers_detail``, ``momentos ops workers``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from momentos.models import (
    AnalyticsState,
    Event,
    Feedback,
    Notification,
    NotificationAttempt,
    PromiseInstance,
    WorkerHeartbeat,
)
from momentos.ops.schemas import (
    AnalyticsHealth,
    Backlog,
    DeliveryErrorRead,
    DeliveryHealth,
    Health,
    JobRun,
    OutboxHealth,
    Warning,
    WorkerDetail,
    WorkerRead,
)
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
    return Health(checked_at=now, workers_alive=alive, workers=workers, outbox=outbox,
                  deliveries=_deliveries(session, org_id, now), analytics=analytics,
                  promise_checks_overdue=promises, feedback_unanalyzed=feedback, warnings=warnings)


def workers_detail(session: Session, now: datetime) -> list[WorkerDetail]:
    """The workers with their figures across every organization: for operators (the command line), never for an
    organization's page or key."""
    return [WorkerDetail(**_worker(row, now).model_dump(), delivered=row.delivered, failed=row.failed,
                         job_runs=row.jobs or {}, last_error=row.last_error, last_error_at=row.last_error_at)
            for row in heartbeats.recent(session)]


def _worker(row: WorkerHeartbeat, now: datetime) -> WorkerRead:
    """A worker's liveness only (no counts, no errors: they span every organization)."""
    jobs = {name: JobRun(at=run.get("at"), seconds=run.get("seconds"))
            for name, run in (row.jobs or {}).items() if isinstance(run, dict)}
    return WorkerRead(worker_id=row.worker_id, name=row.name, hostname=row.hostname, pid=row.pid,
                      version=row.version, status=heartbeats.status_of(row, now), started_at=row.started_at,
                      last_beat_at=row.last_beat_at, stopped_at=row.stopped_at,
                      seconds_since_beat=max(0.0, (now - row.last_beat_at).total_seconds()),
                      interval_seconds=row.interval_seconds, rounds=row.rounds, jobs=jobs)


DELIVERY_WINDOW = timedelta(hours=24)
LAST_ERRORS = 5


def _deliveries(session: Session, org_id: int, now: datetime) -> DeliveryHealth:
    """The organization's delivery attempts of the last day by outcome, and its latest failed attempts."""
    a = NotificationAttempt
    by_outcome = {outcome: int(n) for outcome, n in session.execute(
        select(a.outcome, func.count()).where(a.org_id == org_id, a.ended_at >= now - DELIVERY_WINDOW)
        .group_by(a.outcome))}
    failed = session.scalars(select(a).where(a.org_id == org_id, a.outcome != "sent")
                             .order_by(a.ended_at.desc(), a.id.desc()).limit(LAST_ERRORS))
    return DeliveryHealth(
        window_hours=int(DELIVERY_WINDOW.total_seconds() // 3600), sent=by_outcome.pop("sent", 0),
        failed=sum(by_outcome.values()),
        last_errors=[DeliveryErrorRead(notification_id=f.notification_id, channel=f.channel, outcome=f.outcome,
                                       reason=f.reason, error=f.error, at=f.ended_at) for f in failed])


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
