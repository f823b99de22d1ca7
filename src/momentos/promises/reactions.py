"""Promises: the reaction of promises to stored events (``momentos.bootstrap.reactions()``).

After every ingestion the promises of the processes the batch touched are brought up to date and the promises of the
moments it entered announced, in the same transaction: one lookup of the batch's relevant events (replays included:
they are looked up as stored), one read of the touched processes' relevant events, one locked read of their
instances, then bulk writes (:func:`momentos.promises.service.refresh`). The organization's compiled promise set is
kept per catalog version (creating or retiring a definition renews it), so an organization without promises costs
a dict lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from momentos.catalog.snapshot import CatalogSnapshot, Derived
from momentos.dialect import BulkWriter
from momentos.events.reactions import Incoming, StoredBatch
from momentos.events.schemas import EventIn
from momentos.promises import definitions, notices
from momentos.promises.definitions import OrgPromises
from momentos.promises.service import PROCESS_CHUNK, Touched, record, refresh


class PromiseUpdates:
    """Recompute the promises of the processes a batch touched; announce the promises of the moments it entered."""

    name = "promises.updates"

    def __init__(self) -> None:
        self._promises = Derived(definitions.for_snapshot)

    def before_store(self, session: Session, org_id: int) -> None:
        return None

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        return any(sid in incoming.service_ids for sid in self._promises.get(session, snapshot).by_service)

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        on_ingested(session, batch.org_id, self._promises.get(session, batch.snapshot), batch.incoming,
                    batch.received_at)


def on_ingested(session: Session, org_id: int, promises: OrgPromises, events: Sequence[EventIn],
                now: datetime) -> None:
    """Bring the promises of the processes these events touched up to date, and announce the promises of the
    moments they entered."""
    if promises.empty:
        return
    mids = [e.message_id for e in events if e.activity in promises.activities or e.moment is not None
            or e.activity in promises.entering]
    if not mids:
        return
    writer = BulkWriter(session)
    rows = writer.lookup("events", ("process_id", "service_id", "customer_id", "message_id", "moment", "stay_seq",
                                    "activity", "timestamp"), org_id, "message_id", mids)
    touched: dict[int, Touched] = {}
    entries: list[notices.Entry] = []
    for pid, sid, cid, mid, moment, stay_seq, activity, ts in rows:
        if pid is None or sid not in promises.by_service:
            continue
        if activity in promises.activities:
            touched[pid] = Touched(sid, cid)
        if stay_seq is not None and (sid, moment) in promises.moments:
            at = writer.to_datetime(ts)
            if at is not None and now - at <= notices.STALE:
                entries.append(notices.Entry(pid, sid, cid, mid, moment))
    pids = sorted(touched)
    changes = [c for start in range(0, len(pids), PROCESS_CHUNK) for c in refresh(
        session, org_id, promises, {pid: touched[pid] for pid in pids[start:start + PROCESS_CHUNK]}, now)]
    record(session, org_id, changes, now, source="ingest")
    notices.announce(session, org_id, promises, entries, now)
    notices.for_changes(session, org_id, promises, changes, now)
