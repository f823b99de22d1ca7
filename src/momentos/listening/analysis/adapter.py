"""An organization's own sentiment adapter, switched on only where it helps.

Its labels come for free: every analysed comment with a survey answer (NPS / CSAT) or an imported rating, read as
described in ``ratings.py`` (the survey answer wins; each source's rating scale is set on the listening
configuration page). The adapter is decided (``adaptation.cross_validate``: both it and the default scored on the
same folds of these labels) once ``MIN_LABELS`` exist, decided again on ALL labels whenever they have grown by
``GROWTH`` (10 %) since the last decision, and at the hourly watch when a day has passed and any label changed, or
the rating scales changed. It is stored (``ListeningSettings.adapter``) only when it beats the default; its texts
are queued for re-analysis whenever the adapter in use changes. Both scores, the label count and the time are kept
for the configuration page."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record_change
from momentos.errors import ValidationFailed
from momentos.listening.analysis import ratings
from momentos.listening.analysis.adaptation import MIN_LABELS, Verdict, cross_validate
from momentos.listening.analysis.service import mark_for_analysis, read_settings, settings_of
from momentos.models import Feedback, ListeningSettings

__all__ = ["GROWTH", "MIN_LABELS", "NIGHTLY", "decide", "label_count", "labelled", "rating_sources",
           "refit_if_due", "refit_if_grown", "set_rating_scales"]

GROWTH = 0.10
NIGHTLY = timedelta(days=1)


@dataclass(frozen=True)
class SourceRatings:
    """An imported source with ratings: how many, their range, the scale set and the one in use."""

    source: str
    count: int
    lowest: float
    highest: float
    scale: str
    resolved: str


def rating_sources(session: Session, org_id: int, scales: dict[str, str]) -> list[SourceRatings]:
    """Each source with imported ratings, read with ``scales`` (a source → scale map; missing: ``auto``)."""
    rows = session.execute(select(Feedback.source, func.count(), func.min(Feedback.rating), func.max(Feedback.rating))
                           .where(Feedback.org_id == org_id, Feedback.rating.is_not(None))
                           .group_by(Feedback.source).order_by(Feedback.source)).all()
    out = []
    for source, count, lowest, highest in rows:
        scale = scales.get(source, ratings.DEFAULT_SCALE)
        low, high = float(lowest or 0.0), float(highest or 0.0)  # never None: only rated rows are grouped
        out.append(SourceRatings(source, int(count), low, high, scale, ratings.resolve(scale, high)))
    return out


def _resolved(session: Session, org_id: int, scales: dict[str, str]) -> dict[str, str]:
    return {s.source: s.resolved for s in rating_sources(session, org_id, scales)}


def _labelled_rows(org_id: int, resolved: dict[str, str]) -> list[ColumnElement[bool]]:
    off = [source for source, scale in resolved.items() if scale == "off"]
    rated = Feedback.rating.is_not(None) & Feedback.source.not_in(off) if off else Feedback.rating.is_not(None)
    return [Feedback.org_id == org_id, Feedback.embedding.is_not(None),
            Feedback.nps.is_not(None) | Feedback.csat.is_not(None) | rated]


def labelled(session: Session, org_id: int, scales: dict[str, str]) -> tuple[np.ndarray, list[str]]:
    """Embeddings and labels of every analysed comment with a survey answer or a used rating."""
    resolved = _resolved(session, org_id, scales)
    rows = session.execute(select(Feedback.embedding, Feedback.nps, Feedback.csat, Feedback.rating, Feedback.source)
                           .where(*_labelled_rows(org_id, resolved)).order_by(Feedback.id)).all()
    vectors, labels = [], []
    for blob, nps, csat, rating, source in rows:
        label = ratings.label_of(nps, csat, rating, resolved.get(source, "off"))
        if label is not None and blob:
            vectors.append(np.frombuffer(blob, dtype=np.float32))
            labels.append(label)
    return (np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)), labels


def label_count(session: Session, org_id: int, scales: dict[str, str]) -> int:
    resolved = _resolved(session, org_id, scales)
    return int(session.scalar(select(func.count()).select_from(Feedback)
                              .where(*_labelled_rows(org_id, resolved))) or 0)


def decide(session: Session, org_id: int, now: datetime) -> Verdict | None:
    """Cross-validate the adapter against the default on all labels now; switch it on (fitted on all of them) or
    off accordingly. None when there are too few labels to decide (the adapter is then off)."""
    from momentos.listening.analysis.sentiment import fit_adapter

    row = settings_of(session, org_id, now)
    vectors, labels = labelled(session, org_id, dict(row.rating_scales or {}))
    verdict = cross_validate(vectors, labels) if labels else None
    was = row.adapter
    row.adapter = fit_adapter(vectors, labels, c=verdict.c) if verdict is not None and verdict.switch_on else None
    row.adapter_f1 = verdict.adapter_f1 if verdict is not None else None
    row.default_f1 = verdict.default_f1 if verdict is not None else None
    row.adapter_labels, row.adapter_fitted_at, row.adapter_stale = len(labels), now, False
    if was is not None or row.adapter is not None:
        mark_for_analysis(session, org_id)
    session.flush()
    return verdict


def refit_if_grown(session: Session, org_id: int, now: datetime) -> bool:
    """Decide again when the labels reached ``MIN_LABELS`` or grew by ``GROWTH`` since the last decision (after
    each analysed batch); True when a decision was made."""
    row = read_settings(session, org_id, now)
    count = label_count(session, org_id, dict(row.rating_scales or {}))
    need = max(MIN_LABELS, math.ceil(row.adapter_labels * (1 + GROWTH)))
    if count < need and not row.adapter_stale:
        return False
    decide(session, org_id, now)
    return True


def refit_if_due(session: Session, org_id: int, now: datetime) -> bool:
    """At the hourly watch: decide again when the rating scales changed, when the labels grew by ``GROWTH``, or
    nightly (a day after the last decision) when the number of labels changed at all."""
    if refit_if_grown(session, org_id, now):
        return True
    row = read_settings(session, org_id, now)
    if row.adapter_fitted_at is not None and now - row.adapter_fitted_at < NIGHTLY:
        return False
    count = label_count(session, org_id, dict(row.rating_scales or {}))
    if count == row.adapter_labels or (count < MIN_LABELS and row.adapter is None):
        return False
    decide(session, org_id, now)
    return True


def set_rating_scales(session: Session, org_id: int, scales: dict[str, str], now: datetime, *,
                      actor: Actor) -> ListeningSettings:
    """Set how each source's imported ratings are read (``ratings.SCALES``; ``auto`` entries are not stored); the
    adapter is decided again at the next watch when anything changed. Recorded in the audit log."""
    for source, scale in scales.items():
        if scale not in ratings.SCALES:
            raise ValidationFailed(f"Unknown rating scale '{scale}' for source '{source}'.", code="bad_rating_scale",
                                   detail={"field": "rating_scales", "source": source, "value": scale,
                                           "allowed": list(ratings.SCALES)})
        if not source or len(source) > 64:
            raise ValidationFailed("A source name has 1 to 64 characters.", code="bad_rating_scale",
                                   detail={"field": "rating_scales", "source": source[:80]})
    row = settings_of(session, org_id, now)
    before = dict(row.rating_scales or {})
    after = {source: scale for source, scale in sorted(scales.items()) if scale != ratings.DEFAULT_SCALE}
    row.rating_scales, row.updated_at = after, now
    if after != before:
        row.adapter_stale = True
    session.flush()
    record_change(session, org_id, actor, "listening_settings.update", "listening_settings",
                  before={"rating_scales": before}, after={"rating_scales": after})
    return row
