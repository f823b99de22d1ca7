"""What ingestion tells the domains that react to stored events, and the one protocol they implement.

The store of events knows no one who reacts to it: ``momentos.bootstrap.reactions()`` builds the ordered list at
start-up and every caller of :func:`momentos.events.service.ingest` (and of the bulk road of first imports) hands it
down. Every hook runs in the caller's transaction and never commits, so what a reaction writes (an outbox row, a
survey answer, a promise transition) commits or rolls back with the events themselves.

One ingestion call, in order:

1. ``before_store(session, org_id)`` of every reaction, before anything is read or written (analytics takes its
   shared watermark lock here, held to the end of the transaction);
2. the events are routed with the organization's :class:`~momentos.catalog.snapshot.CatalogSnapshot`, deduplicated
   and stored, and their processes moved (the moves are not a reaction: each event row carries its process, stay
   and cycle, so the store writes them together);
3. ``on_stored(session, batch)`` of every reaction, in order, with one :class:`StoredBatch`: the events this call
   stored (a replayed event — already stored — is not in it), whatever number of chunks they were written in. (A
   batch of more than ``CHUNK`` events used to have its status notices and survey invitations queued chunk by chunk;
   now each reaction sees the whole batch, so the notices of all chunks are queued before the invitations.)

The bulk road of a first import (``momentos.imports.bulk``) writes no :class:`StoredBatch`: it runs
``before_store`` and asks every reaction whether it ``reacts_to`` what it is about to store; if one does, the
import takes the general road instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from momentos.catalog.snapshot import CatalogSnapshot
from momentos.events.schemas import EventIn


@dataclass(frozen=True)
class StoredEvent:
    """One event as stored by this ingestion call (routed, with its customer and process ids)."""

    id: int
    message_id: str
    customer_id: int
    service_id: int | None
    process_id: int | None
    type: str
    activity: str
    channel: str
    moment: str | None
    initiator: str
    timestamp: datetime
    properties: Mapping[str, Any]
    entered: bool
    """It opened a new stay of its process in its moment (it entered the moment)."""
    rebuilt: bool
    """Its process's history was rebuilt from the log in this call (an out-of-order event, or a row that lost a race
    to a concurrent request): its stays were renumbered, so its entries are not news of this call."""


@dataclass(frozen=True)
class StoredBatch:
    """What one ingestion call stored, handed to every reaction."""

    org_id: int
    source: str
    received_at: datetime
    snapshot: CatalogSnapshot
    """The catalog the events were routed with."""
    events: Sequence[StoredEvent]
    """The events stored by this call, in the order they were written (by time within each chunk)."""
    incoming: Sequence[EventIn]
    """Every event the batch carried, duplicates and replays included (promises look up what was stored)."""


@dataclass(frozen=True)
class Incoming:
    """What the bulk road is about to store, known before anything is written."""

    service_ids: frozenset[int]
    """The services its events were routed to."""
    property_names: frozenset[str]
    """Every property name some of its events may carry."""


class Reaction(Protocol):
    """A domain's reaction to stored events. Same transaction as the events; never commits."""

    @property
    def name(self) -> str:
        """A short dotted name, e.g. ``notify.status_notices``."""
        ...

    def before_store(self, session: Session, org_id: int) -> None:
        """Called first by every ingestion, the bulk road included, before any event is written."""

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        """Whether ``on_stored`` could do anything for these events. The bulk road, which does not call
        ``on_stored``, only runs when no reaction does."""
        ...

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        """React to the events one ingestion call stored."""
