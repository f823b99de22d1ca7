"""The worker's loop: rounds of every job in order until stopped (coordinated through the database, so several
workers share the work).

A failing job is logged and does not stop the others; the heartbeat hears of every job and round (it writes at
most once per interval). After a round with no work the loop sleeps ``poll_seconds``; with ``once`` it returns
instead, with ``idle_exit`` once it has been idle that long. ``serve`` is one worker process around it: its
heartbeat row, and SIGTERM or Ctrl-C ending it after the current round (a second one interrupts it at once).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow
from momentos.worker.heartbeats import Heartbeat
from momentos.worker.jobs import Context, Job, Lasting

log = logging.getLogger("momentos.worker")

Observer = Callable[[str, float, int, BaseException | None], None]
"""Told after every job: (job name, seconds taken, units done, the error if it failed)."""


def run_round(factory: sessionmaker[Session], jobs: Sequence[Job], now: datetime | None = None,
              observe: Observer | None = None) -> int:
    """One round of every job, in order; a failing job is logged and does not stop the others. Returns the work
    done."""
    done = 0
    for job in jobs:
        started, handled = time.perf_counter(), 0
        error: Exception | None = None
        try:
            handled = job.run(factory, now or utcnow())
        except Exception as exc:
            log.exception("background job %s failed", job.name)
            error = exc
        done += handled
        if observe is not None:
            observe(job.name, time.perf_counter() - started, handled, error)
    return done


def _ignore(delivered: int, failed: int) -> None:
    del delivered, failed


def run(factory: sessionmaker[Session], jobs: Sequence[Job], owner: str, *, poll_seconds: float = 0.5,
        once: bool = False, idle_exit: float | None = None, heartbeat: Heartbeat | None = None,
        stop: threading.Event | None = None) -> int:
    """Rounds of ``jobs`` until ``stop`` is set (or, with ``once``, until a round finds nothing to do; with
    ``idle_exit``, until idle that long). Jobs that last across rounds are opened first and closed at the end,
    in reverse order. Returns the units of work done."""
    context = Context(owner, heartbeat.delivered_batch if heartbeat is not None else _ignore)
    observe = heartbeat.job_ran if heartbeat is not None else None
    opened: list[Lasting] = []
    done = 0
    try:
        for job in jobs:
            if isinstance(job, Lasting):
                job.open(context)
                opened.append(job)
        idle_since = time.monotonic()
        while stop is None or not stop.is_set():
            handled = run_round(factory, jobs, observe=observe)
            done += handled
            if heartbeat is not None:
                heartbeat.round_done()
            if handled > 0:
                idle_since = time.monotonic()
                continue
            if once or (idle_exit is not None and time.monotonic() - idle_since >= idle_exit):
                return done
            if stop is not None:
                stop.wait(poll_seconds)
            else:
                time.sleep(poll_seconds)
        return done
    finally:
        for lasting in reversed(opened):
            try:
                lasting.close()
            except Exception:
                log.exception("could not close a background job")


def serve(factory: sessionmaker[Session], jobs: Sequence[Job], owner: str, *, poll_seconds: float,
          heartbeat_seconds: float, once: bool = False, idle_exit: float | None = None) -> Heartbeat:
    """One worker process: its heartbeat row (started, moved on, marked stopped on a clean end or given the error
    it crashed on) around ``run``, stopped by SIGTERM or Ctrl-C. Returns the heartbeat with the final figures."""
    heartbeat = Heartbeat(factory, owner, heartbeat_seconds)
    with stopped_by_signals() as stop:
        try:
            heartbeat.start()
            run(factory, jobs, owner, poll_seconds=poll_seconds, once=once, idle_exit=idle_exit,
                heartbeat=heartbeat, stop=stop)
        except Exception as exc:
            heartbeat.crashed(exc)
            raise
        else:
            heartbeat.stop()
    return heartbeat


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or Ctrl-C (the loop ends after its round); a second one raises
    ``KeyboardInterrupt`` at once. The previous handlers come back on exit."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
