"""What the health check answers (the operations page, ``GET /api/v1/ops/health`` and ``momentos ops health``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from momentos.worker.heartbeats import WorkerStatus

Warning = Literal["notifications_waiting", "work_waiting"]


class JobRun(BaseModel):
    """A background job's last run on a worker: when and how long (what it did and its errors concern every
    organization, so they are not shown to one)."""

    at: str | None = None
    seconds: float | None = None


class WorkerRead(BaseModel):
    """A worker's liveness, as one organization sees it. Workers serve every organization: their delivery counts
    and errors are not one organization's, so they are left out (``momentos ops workers`` shows them to whoever
    runs the workers); the organization's own figures are in ``Health.deliveries``."""

    worker_id: str
    name: str
    hostname: str
    pid: int
    version: str
    status: WorkerStatus
    started_at: datetime
    last_beat_at: datetime
    stopped_at: datetime | None
    seconds_since_beat: float
    interval_seconds: float
    rounds: int
    jobs: dict[str, JobRun]
    """Per job, its last run: ``at`` and ``seconds``."""


class WorkerDetail(WorkerRead):
    """A worker with its figures across every organization (``momentos ops workers``, for operators only)."""

    delivered: int
    failed: int
    job_runs: dict[str, Any]
    """Per job, its last run: ``at``, ``seconds``, ``done`` and ``error``."""
    last_error: str | None
    last_error_at: datetime | None


class DeliveryErrorRead(BaseModel):
    """One failed delivery attempt of the organization's notifications."""

    notification_id: int
    channel: str
    outcome: str
    reason: str | None
    error: str | None
    at: datetime


class DeliveryHealth(BaseModel):
    """The organization's own delivery attempts over the last ``window_hours``, and its latest failures."""

    window_hours: int
    sent: int
    failed: int
    """Attempts that failed (temporary or permanent, switches included)."""
    last_errors: list[DeliveryErrorRead]
    """Its most recent failed attempts (newest first, a few), at any time."""


class Backlog(BaseModel):
    """Work of one kind waiting for a worker: how much, and since when the oldest has waited."""

    count: int
    oldest_at: datetime | None = None
    age_seconds: float | None = None


class OutboxHealth(BaseModel):
    pending: int
    """Pending or claimed notifications, deferred ones included."""
    due: Backlog
    """Due now (pending and due, or claimed with an expired lease); the age runs from when each became due."""
    dead: int


class AnalyticsHealth(BaseModel):
    watermark: int
    behind: Backlog
    """Events above the aggregates' watermark; the age runs from the oldest one's arrival."""
    refreshed_at: datetime | None


class Health(BaseModel):
    """Worker liveness (global) and one organization's own figures — queues, deliveries, delivery errors — with the
    warnings they call for. Nothing in it comes from another organization."""

    checked_at: datetime
    workers_alive: int
    workers: list[WorkerRead]
    outbox: OutboxHealth
    deliveries: DeliveryHealth
    analytics: AnalyticsHealth
    promise_checks_overdue: Backlog
    """Promise instances whose next check time has passed (the promise clock runs in the worker)."""
    feedback_unanalyzed: Backlog
    """Feedback texts not analysed yet (language, sentiment, needs)."""
    warnings: list[Warning]


class ImportRead(BaseModel):
    """One file import of the organization (``GET /api/v1/imports``)."""

    id: int
    file_name: str
    format: str | None
    service: str | None
    actor_kind: str
    actor: str | None
    started_at: datetime
    finished_at: datetime
    status: Literal["ok", "failed"]
    events_read: int
    accepted: int
    duplicates: int
    skipped: int
    dropped_erased: int
    cases: int
    seconds: float
    error: str | None


class ReplayAllIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["dead", "suppressed"] = "dead"
    """Replay every notification in this status."""


class ReplayAllRead(BaseModel):
    status: str
    replayed: int
