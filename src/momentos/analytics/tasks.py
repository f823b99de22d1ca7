"""Worker job ``analytics.refresh`` (``REFRESH``): fold new events into each organization's aggregates — their only
writer.

One organization per transaction; the state row is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several workers (and an import entry point refreshing its organization) never fold the same events twice; on SQLite
writers are serialized by the database. Reads never refresh: they fold what is pending in memory
(incremental.pending). Returns the number of cases refreshed (not counting a refresh that could not move the
watermark because an ingestion was in flight, so an idle worker does not spin).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.analytics import incremental
from momentos.db import unit_of_work
from momentos.models import Organization
from momentos.worker.jobs import BatchJob


def run_job(factory: sessionmaker[Session], now: datetime) -> int:
    del now  # the aggregates do not depend on the clock
    with unit_of_work(factory) as session:
        org_ids = list(session.scalars(select(Organization.id).order_by(Organization.id)))
    return sum(refresh_organization(factory, org_id) for org_id in org_ids)


def refresh_organization(factory: sessionmaker[Session], org_id: int) -> int:
    """The job for one organization, in a transaction of its own: the cases refreshed (0 if it was caught up, or
    if another refresh holds it, or if the watermark could not move)."""
    with unit_of_work(factory) as session:
        if not incremental.is_behind(session, org_id):
            return 0
        refreshed = incremental.refresh(session, org_id, skip_locked=True)
        if refreshed is not None and refreshed.advanced:  # else an ingestion is in flight: try next round
            return refreshed.cases
        return 0


REFRESH = BatchJob("analytics.refresh", run_job)
"""The only writer of the aggregates (``analytics.incremental``)."""
