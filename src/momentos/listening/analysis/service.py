"""An organization's analysis state: its listening settings row (created on first use) and the queue of its texts
waiting for analysis (a text is due while ``analyzed_at`` is empty; ``job.py`` picks them up). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from momentos.models import Feedback, ListeningSettings


def read_settings(session: Session, org_id: int, now: datetime) -> ListeningSettings:
    """The organization's listening settings for reading: the stored row, or the defaults (not stored)."""
    row = session.scalar(select(ListeningSettings).where(ListeningSettings.org_id == org_id))
    return row if row is not None else ListeningSettings(org_id=org_id, adapter_labels=0, updated_at=now)


def settings_of(session: Session, org_id: int, now: datetime) -> ListeningSettings:
    """The organization's listening settings for changing: the stored row, stored first with the defaults."""
    row = read_settings(session, org_id, now)
    if row not in session:
        session.add(row)
        session.flush()
    return row


def mark_for_analysis(session: Session, org_id: int) -> int:
    """Queue every text of the organization for a new analysis (the worker picks them up); returns how many."""
    result = session.execute(update(Feedback).where(Feedback.org_id == org_id, Feedback.text.is_not(None))
                             .values(analyzed_at=None), execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
