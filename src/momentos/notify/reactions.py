"""Status notices: the reaction of notify to stored events (``momentos.bootstrap.reactions()``).

A moment entered by a stored event whose service has a company-started touchpoint with ``contact_needed`` at that
moment gets a ``status`` notice, queued in the outbox in the same transaction as the event. Only entries of
processes that were not rebuilt count: a rebuilt process lost a race or got an out-of-order event, and its entries
were (or will be) noticed by the request that stored them in order. The dedup key is the event's (organization,
message id) and the moment, so a replayed event (already stored, so not in the batch) and a second call create no
second notification. The link is stored as ``/s/<token>`` and the worker prefixes its public URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from momentos.catalog.snapshot import CatalogSnapshot, Derived
from momentos.events.reactions import Incoming, StoredBatch
from momentos.notify.outbox import NotificationIn, enqueue_many


class Entry(NamedTuple):
    """An event that just entered a moment needing a status notice."""

    message_id: str
    customer_id: int
    service_id: int
    process_id: int
    moment: str


def notice_moments(_: Session, snapshot: CatalogSnapshot) -> frozenset[tuple[int, str]]:
    """(service id, moment) where entering the moment needs a company-started contact (a status notice)."""
    return frozenset((tp.service_id, tp.moment) for tp in snapshot.touchpoints
                     if tp.initiator == "company" and tp.contact_needed)


class StatusNotices:
    """Queue a status notice for every stored event that entered a moment needing one."""

    name = "notify.status_notices"

    def __init__(self) -> None:
        self._moments = Derived(notice_moments)

    def before_store(self, session: Session, org_id: int) -> None:
        return None

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        return any(sid in incoming.service_ids for sid, _ in self._moments.get(session, snapshot))

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        moments = self._moments.get(session, batch.snapshot)
        if not moments:
            return
        entries = [Entry(e.message_id, e.customer_id, e.service_id, e.process_id, e.moment) for e in batch.events
                   if e.entered and not e.rebuilt and (e.service_id, e.moment) in moments
                   and e.service_id is not None and e.process_id is not None and e.moment is not None]
        moments_entered(session, batch.org_id, entries, batch.received_at)


def moments_entered(session: Session, org_id: int, entries: Sequence[Entry], now: datetime) -> int:
    """Enqueue the status notices for these moment entries; returns how many were new.

    Rows are written in bulk; their link and texts are filled in by the worker at send time
    (:func:`momentos.notify.triggers.status_params`). The dedup key is the entry itself, so replaying the events never
    queues a second notice.
    """
    items = [NotificationIn(customer_id=e.customer_id, purpose="status", template="status",
                            dedup_key=f"moment:{e.message_id}:{e.moment}", process_id=e.process_id,
                            service_id=e.service_id, moment=e.moment) for e in entries]
    return enqueue_many(session, org_id, items, now)
