"""Background jobs that ``momentos worker`` runs between outbox rounds (promise clock, text analysis, aggregates).

Each job module exposes ``run_job(factory, now) -> int``: it owns its transactions, does one bounded batch of work
and returns how many units it handled (0 when nothing was due). Jobs must be safe with several workers running at
once and with a worker killed at any point (claim with leases or ``FOR UPDATE SKIP LOCKED``, exactly-once effects).
A module joins the worker by being listed in ``JOB_MODULES``.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow

log = logging.getLogger("momentos.jobs")

Job = Callable[[sessionmaker[Session], datetime], int]
Observer = Callable[[str, float, int, BaseException | None], None]
"""Told after every job: (module name, seconds taken, units done, the error if it failed)."""

JOB_MODULES: tuple[str, ...] = ("momentos.promises.clock", "momentos.listening.tasks", "momentos.analytics.tasks")


def registered() -> list[tuple[str, Job]]:
    """The jobs of every listed module, in the order listed."""
    return [(name, importlib.import_module(name).run_job) for name in JOB_MODULES]


def run_jobs(factory: sessionmaker[Session], jobs: list[tuple[str, Job]], now: datetime | None = None,
             observe: Observer | None = None) -> int:
    """One round of every job; a failing job is logged and does not stop the others. Returns the work done."""
    done = 0
    for name, job in jobs:
        started, handled = time.perf_counter(), 0
        error: Exception | None = None
        try:
            handled = job(factory, now or utcnow())
        except Exception as exc:
            log.exception("background job %s failed", name)
            error = exc
        done += handled
        if observe is not None:
            observe(name, time.perf_counter() - started, handled, error)
    return done
