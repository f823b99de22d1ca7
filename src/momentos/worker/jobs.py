"""The worker's jobs: typed objects that ``worker.loop`` runs in order, one round after another.

A job owns its transactions, does one bounded batch of work per round and returns how many units it handled (0 when
nothing was due). Jobs must be safe with several workers running at once and with a worker killed at any point
(claim with leases or ``FOR UPDATE SKIP LOCKED``, exactly-once effects). The list of jobs is built in one place,
``momentos.bootstrap.jobs``; nothing joins the worker by being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

Factory = sessionmaker[Session]
Step = Callable[[Factory, datetime], int]
"""One batch of a job: ``(session factory, now) -> units handled``."""


class Job(Protocol):
    """One kind of background work, run once per round."""

    @property
    def name(self) -> str:
        """Its name in logs and heartbeats, ``domain.verb`` (``promises.clock``)."""
        ...

    def run(self, factory: Factory, now: datetime) -> int:
        """One bounded batch; returns the units handled (0: nothing was due)."""
        ...


@dataclass(frozen=True)
class Context:
    """What a running worker tells the jobs that hold resources across rounds, when it opens them."""

    owner: str
    """The worker's name, which its leases carry."""
    delivered: Callable[[int, int], None]
    """To be told of each batch delivered: (deliveries made, attempts that failed); the heartbeat counts them."""


@runtime_checkable
class Lasting(Protocol):
    """A job that holds resources across rounds (connections, a thread): opened before the first round, closed
    after the last one (also when the worker stops on an error)."""

    def open(self, context: Context) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BatchJob:
    """A job that is one function, called once per round (most jobs)."""

    name: str
    step: Step

    def run(self, factory: Factory, now: datetime) -> int:
        return self.step(factory, now)
