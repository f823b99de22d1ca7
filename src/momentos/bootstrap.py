"""One place that wires Momentos: settings, the reactions to stored events, the worker's jobs and the dashboard's
row and alert sources. ``create_app(settings)``, the worker and the CLI call ``bootstrap(settings)`` and hand the
result down; no module registers anything as a side effect of being imported.

Adding a reaction or a job: one new module in its domain, and one line in the list here (see ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from momentos.analytics import tasks as analytics_tasks
from momentos.analytics.reactions import IngestNote
from momentos.config import Settings
from momentos.dashboard import sources as dashboard_sources
from momentos.dashboard.journey_map import RowSource
from momentos.dashboard.overview import AlertSource
from momentos.events.reactions import Reaction
from momentos.listening import tasks as listening_tasks
from momentos.listening.analysis.encoder import configure as configure_encoder
from momentos.listening.surveys.reactions import SurveyInvitations
from momentos.notify.reactions import StatusNotices
from momentos.notify.tasks import DeliverJob
from momentos.promises import tasks as promises_tasks
from momentos.promises.reactions import PromiseUpdates
from momentos.worker.jobs import Job


@dataclass(frozen=True)
class Wiring:
    """What the entry points share, built once per process."""

    settings: Settings
    reactions: tuple[Reaction, ...] = ()
    """What reacts to a stored batch of events, in order (:func:`reactions`)."""
    jobs: tuple[Job, ...] = ()
    """The worker's jobs, in the order of a round (:func:`jobs`)."""
    map_rows: Mapping[str, RowSource] = field(default_factory=dict)
    """The journey map's extra rows (promises, emotion curve, needs), by key."""
    alert_sources: tuple[AlertSource, ...] = ()
    """The overview's alerts beyond the outbox (broken promises, early warning)."""


def reactions() -> tuple[Reaction, ...]:
    """The reactions to stored events, in the order they run (see ``momentos.events.reactions``): status notices,
    then survey invitations (whose contact policy counts the notices just queued), then promises, as ingestion did
    before they were reactions; the analytics note acts before the events are stored. Each keeps its own caches, so
    build them once per process."""
    return (StatusNotices(), SurveyInvitations(), PromiseUpdates(), IngestNote())


def jobs(settings: Settings) -> tuple[Job, ...]:
    """The worker's jobs, in the order of one round: deliver what is due first, then what makes more to deliver
    (the clock, the early warning) and the slower work. Uploads from the operations page are imported within their
    request (one unit of work, like ``momentos import``), so there is no ``imports`` job."""
    return (DeliverJob.of(settings), promises_tasks.CLOCK, listening_tasks.ANALYSE, listening_tasks.WATCH,
            analytics_tasks.REFRESH)


def bootstrap(settings: Settings | None = None) -> Wiring:
    settings = settings or Settings()
    configure_encoder(settings.analysis)  # threads, truncation and cache of text analysis
    return Wiring(settings=settings, reactions=reactions(), jobs=jobs(settings),
                  map_rows=dashboard_sources.map_rows(), alert_sources=dashboard_sources.alert_sources())
