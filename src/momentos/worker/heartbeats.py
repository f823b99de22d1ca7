"""Worker heartbeats: each ``momentos worker`` process writes one row at its start, moves it forward at most every
``interval`` seconds (one UPDATE per round of its loop, never per notification) and marks it stopped on a clean
shutdown. Rows of workers stopped (or silent) for more than a week are pruned when a worker starts.

A worker is ``alive`` while its last beat is within three intervals, ``late`` after that, ``dead`` when it has been
silent for ``DEAD_AFTER`` without having stopped cleanly, and ``stopped`` once it shut down. Workers serve every
organization, so this state is global; the queue figures of one organization are in ``ops.health``. The loop
(``worker.loop``) tells a heartbeat of every round and job; a job that delivers tells it through its ``Context``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from momentos import __version__
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import WorkerHeartbeat

log = logging.getLogger("momentos.worker")

WorkerStatus = Literal["alive", "late", "dead", "stopped"]
LATE_AFTER_INTERVALS = 3
DEAD_AFTER = timedelta(minutes=15)
KEEP = timedelta(days=7)
ERROR_CHARS = 2000


def status_of(row: WorkerHeartbeat, now: datetime) -> WorkerStatus:
    """Alive (a beat within three intervals), late, dead (silent for long, never stopped) or stopped."""
    if row.stopped_at is not None:
        return "stopped"
    silent, late = now - row.last_beat_at, timedelta(seconds=LATE_AFTER_INTERVALS * row.interval_seconds)
    if silent <= late:
        return "alive"
    return "dead" if silent > max(DEAD_AFTER, late) else "late"


def recent(session: Session, limit: int = 20) -> list[WorkerHeartbeat]:
    """The workers heard from most recently (every status), newest beat first."""
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_beat_at.desc(),
                                                                 WorkerHeartbeat.id.desc()).limit(limit)))


def prune(session: Session, now: datetime, keep: timedelta = KEEP) -> int:
    """Forget workers stopped, or silent, for longer than ``keep``."""
    cutoff = now - keep
    result = session.execute(delete(WorkerHeartbeat).where(or_(
        WorkerHeartbeat.stopped_at < cutoff,
        WorkerHeartbeat.stopped_at.is_(None) & (WorkerHeartbeat.last_beat_at < cutoff))))
    return int(getattr(result, "rowcount", 0) or 0)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


class Heartbeat:
    """What one running worker has done since its start, kept in memory and written at most every ``interval``.

    Writing never stops the worker: a failed write is logged and tried again at the next beat.
    """

    def __init__(self, factory: sessionmaker[Session], name: str, interval: float = 5.0) -> None:
        self.factory = factory
        self.name = name[:200]
        self.interval = max(0.1, interval)
        self.worker_id = str(uuid.uuid4())
        self.rounds = self.delivered = self.failed = 0
        self.jobs: dict[str, dict[str, Any]] = {}
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self._due = 0.0

    def start(self) -> None:
        """Write this worker's row (and prune old ones), in one short transaction."""
        now = utcnow()
        with unit_of_work(self.factory) as session:
            prune(session, now)
            session.add(WorkerHeartbeat(worker_id=self.worker_id, name=self.name, hostname=socket.gethostname()[:255],
                                        pid=os.getpid(), version=__version__, interval_seconds=self.interval,
                                        started_at=now, last_beat_at=now, rounds=0, delivered=0, failed=0, jobs={}))
        self._due = time.monotonic() + self.interval

    def delivered_batch(self, delivered: int, failed: int) -> None:
        self.delivered += delivered
        self.failed += failed

    def job_ran(self, name: str, seconds: float, done: int, error: BaseException | None) -> None:
        """Called after every job of a round; beats if one is due (so a long round still reports)."""
        at = utcnow()
        self.jobs[name] = {"at": at.isoformat(), "seconds": round(seconds, 3), "done": done,
                           "error": None if error is None else _error_text(error)}
        if error is not None:
            self.failure(error, at)
        self.beat()

    def failure(self, error: BaseException, at: datetime | None = None) -> None:
        self.last_error, self.last_error_at = _error_text(error), at or utcnow()

    def round_done(self) -> None:
        self.rounds += 1
        self.beat()

    def beat(self, *, force: bool = False, stopped: bool = False) -> bool:
        """One UPDATE of the row, if an interval has passed since the last (or ``force``). True if written."""
        if not force and time.monotonic() < self._due:
            return False
        now = utcnow()
        values: dict[str, Any] = {"last_beat_at": now, "rounds": self.rounds, "delivered": self.delivered,
                                  "failed": self.failed, "jobs": dict(self.jobs), "last_error": self.last_error,
                                  "last_error_at": self.last_error_at}
        if stopped:
            values["stopped_at"] = now
        try:
            with unit_of_work(self.factory) as session:
                session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == self.worker_id)
                                .values(**values))
        except SQLAlchemyError:
            log.warning("could not write the heartbeat of worker %s", self.worker_id, exc_info=True)
            return False
        self._due = time.monotonic() + self.interval
        return True

    def stop(self) -> None:
        """A clean shutdown: the final figures and ``stopped_at``."""
        self.beat(force=True, stopped=True)

    def crashed(self, error: BaseException) -> None:
        """The worker is ending on an error: record it, but not as stopped (it did not shut down cleanly)."""
        self.failure(error)
        self.beat(force=True)
