"""The listening jobs of ``momentos worker``: ``listening.analyse`` (``ANALYSE``) and ``listening.watch`` (``WATCH``).

Each round: one batch of text analysis (``analysis.job``), then at most one organization whose watch is due (every
15 minutes) — its early-warning check on the rolling hour at each quarter since the last one, its needs refreshed
when new texts were analysed, and its sentiment adapter decided again when due (``analysis.adapter.refit_if_due``:
rating scales changed, labels grown by 10 %, or nightly). The organization is claimed with a lease on its listening
settings row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several workers share the work and none does it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from momentos.db import unit_of_work
from momentos.listening.analysis import adapter
from momentos.listening.analysis import job as analysis_job
from momentos.listening.analysis.service import settings_of
from momentos.listening.needs import service as needs
from momentos.listening.warning import service as early_warning
from momentos.models import Feedback, ListeningSettings
from momentos.worker.jobs import BatchJob

LEASE = timedelta(minutes=10)


def _claim_watch(session: Session, now: datetime) -> int | None:
    quarter = early_warning.quarter_floor(now)
    stmt = (select(ListeningSettings).where(
        (ListeningSettings.warning_checked_at.is_(None)) | (ListeningSettings.warning_checked_at < quarter),
        (ListeningSettings.lease_until.is_(None)) | (ListeningSettings.lease_until < now))
        .order_by(ListeningSettings.id).limit(1).with_for_update(skip_locked=True))
    row = session.scalar(stmt)
    if row is None:
        return None
    row.lease_until = now + LEASE
    return row.org_id


def watch(session: Session, org_id: int, now: datetime) -> int:
    """The watch of one organization (every 15 minutes): early warning, then needs when new texts were analysed."""
    settings = settings_of(session, org_id, now)
    alerts = early_warning.check(session, org_id, now)
    newest = session.scalar(select(func.max(Feedback.analyzed_at)).where(Feedback.org_id == org_id,
                                                                         Feedback.embedding.is_not(None)))
    if newest is not None and (settings.needs_refreshed_at is None or newest > settings.needs_refreshed_at):
        needs.refresh(session, org_id, now)
        settings.needs_refreshed_at = now
    adapter.refit_if_due(session, org_id, now)
    settings.lease_until = None
    session.flush()
    return alerts + 1


def watch_next(factory: sessionmaker[Session], now: datetime) -> int:
    """The watch of the next organization due, if any (claimed in a transaction of its own)."""
    with unit_of_work(factory) as session:
        org_id = _claim_watch(session, now)
    if org_id is None:
        return 0
    with unit_of_work(factory) as session:
        return watch(session, org_id, now)


ANALYSE = BatchJob("listening.analyse", analysis_job.analyse_batch)
"""One batch of text analysis (language, sentiment, embedding)."""
WATCH = BatchJob("listening.watch", watch_next)
"""Early warning and needs, for at most one organization per round."""
