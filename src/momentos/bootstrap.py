"""One place that wires Momentos: settings, the reactions to stored events, the worker's jobs and the dashboard's
row and alert sources. ``create_app(settings)``, the worker and the CLI call ``bootstrap(settings)`` and hand the
result down; no module registers anything as a side effect of being imported.

Adding a reaction or a job: one new module in its domain, and one line in the list here (see ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from momentos.analytics.reactions import IngestNote
from momentos.config import Settings
from momentos.events.reactions import Reaction
from momentos.listening.surveys.reactions import SurveyInvitations
from momentos.notify.reactions import StatusNotices
from momentos.promises.reactions import PromiseUpdates


@dataclass(frozen=True)
class Wiring:
    """What the entry points share, built once per process."""

    settings: Settings
    reactions: tuple[Reaction, ...] = ()
    """What reacts to a stored batch of events, in order (:func:`reactions`)."""
    jobs: tuple[object, ...] = ()
    """The worker's jobs, in the order of a round (filled by the worker step)."""


def reactions() -> tuple[Reaction, ...]:
    """The reactions to stored events, in the order they run (see ``momentos.events.reactions``): status notices,
    then survey invitations (whose contact policy counts the notices just queued), then promises, as ingestion did
    before they were reactions; the analytics note acts before the events are stored. Each keeps its own caches, so
    build them once per process."""
    return (StatusNotices(), SurveyInvitations(), PromiseUpdates(), IngestNote())


def jobs(settings: Settings) -> tuple[object, ...]:
    """The worker's jobs, in the order of one round."""
    return ()


def bootstrap(settings: Settings | None = None) -> Wiring:
    settings = settings or Settings()
    return Wiring(settings=settings, reactions=reactions(), jobs=jobs(settings))
