"""The ingest note: the reaction of analytics to stored events (``momentos.bootstrap.reactions()``).

Before any event of an ingestion is written — by the general path or the bulk road of a first import — it takes the
organization's shared watermark lock on PostgreSQL, held until the ingestion's transaction ends
(:func:`momentos.analytics.incremental.note_ingest`). A refresh moves the watermark only when it can take the lock
exclusively, so it never skips an event whose id was handed out by a transaction still in flight. The stored events
themselves need nothing: the refresh finds them above the watermark.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.events.reactions import Incoming, StoredBatch


class IngestNote:
    """Hold the analytics watermark lock (shared) for the whole ingestion."""

    name = "analytics.ingest_note"

    def before_store(self, session: Session, org_id: int) -> None:
        incremental.note_ingest(session, org_id)

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        return False  # the bulk road takes the note too (before_store) and needs nothing afterwards

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        return None
