"""An organization's own sentiment adapter: its rated comments (a text with an NPS or CSAT score) are labelled
data for free — NPS 0–6 / CSAT 1–2 negative, NPS 7–8 / CSAT 3 neutral, NPS 9–10 / CSAT 4–5 positive. The
adapter is fitted once enough of them exist, refitted when they have grown by half, stored, and used by
every later analysis of that organization; the organization's texts are then queued for re-analysis."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.listening.analysis.service import mark_for_analysis, settings_of
from momentos.models import Feedback, ListeningSettings

MIN_LABELS = 30
GROWTH = 1.5


def label_of(nps: int | None, csat: int | None) -> str | None:
    if nps is not None:
        return "neg" if nps <= 6 else "neu" if nps <= 8 else "pos"
    if csat is not None:
        return "neg" if csat <= 2 else "neu" if csat == 3 else "pos"
    return None


def rated(session: Session, org_id: int) -> tuple[np.ndarray, list[str]]:
    rows = session.execute(select(Feedback.embedding, Feedback.nps, Feedback.csat).where(
        Feedback.org_id == org_id, Feedback.embedding.is_not(None),
        Feedback.nps.is_not(None) | Feedback.csat.is_not(None))).all()
    vectors, labels = [], []
    for blob, nps, csat in rows:
        label = label_of(nps, csat)
        if label is not None and blob:
            vectors.append(np.frombuffer(blob, dtype=np.float32))
            labels.append(label)
    return (np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)), labels


def fit(session: Session, org_id: int, now: datetime) -> ListeningSettings | None:
    """Fit (or refit) now; None when there is not enough labelled feedback of two kinds."""
    from momentos.listening.analysis import fit_adapter

    vectors, labels = rated(session, org_id)
    if len(labels) < MIN_LABELS:
        return None
    try:
        blob = fit_adapter(vectors, labels)
    except ValueError:
        return None
    row = settings_of(session, org_id, now)
    row.adapter, row.adapter_labels, row.adapter_fitted_at, row.updated_at = blob, len(labels), now, now
    mark_for_analysis(session, org_id)
    session.flush()
    return row


def refit_if_grown(session: Session, org_id: int, now: datetime) -> bool:
    row = session.scalar(select(ListeningSettings).where(ListeningSettings.org_id == org_id))
    have = row.adapter_labels if row is not None else 0
    count = session.scalar(select(Feedback.id).where(
        Feedback.org_id == org_id, Feedback.embedding.is_not(None),
        Feedback.nps.is_not(None) | Feedback.csat.is_not(None)).order_by(Feedback.id).offset(
        max(MIN_LABELS, int(have * GROWTH)) - 1).limit(1))
    if count is None:
        return False
    return fit(session, org_id, now) is not None
