"""Text analysis in the background: batches of unanalysed feedback → language, sentiment, score and embedding.

A batch belongs to one organization (its adapter applies) and is claimed with a short lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), analysed outside any transaction, and written only where the text is
still the one analysed and no newer analysis landed, so two workers or a killed worker never store a stale
result. A text the analyser refuses (nothing left after removing handles and links…) is marked analysed
without a sentiment, so it is not retried forever. After each batch the organization's adapter is refitted
once its rated comments have grown enough (see ``adapter.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, sessionmaker

from momentos.db import unit_of_work
from momentos.listening.analysis import adapter
from momentos.listening.analysis.service import settings_of
from momentos.models import Feedback, ListeningSettings

log = logging.getLogger("momentos.listening")

BATCH = 64
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Claimed:
    org_id: int
    ids: list[int]
    texts: list[str]
    adapter: bytes | None


def _due(now: datetime) -> ColumnElement[bool]:
    return (Feedback.analyzed_at.is_(None) & Feedback.text.is_not(None)
            & (Feedback.analysis_lease.is_(None) | (Feedback.analysis_lease < now)))


def claim(session: Session, now: datetime, batch: int = BATCH, org_id: int | None = None) -> Claimed | None:
    """Lease a batch of one organization's due feedback (the first organization with any, unless given)."""
    if org_id is None:
        org_id = session.scalar(select(Feedback.org_id).where(_due(now)).order_by(Feedback.id).limit(1)
                                .with_for_update(skip_locked=True))
    if org_id is None:
        return None
    rows = session.execute(select(Feedback.id, Feedback.text).where(Feedback.org_id == org_id, _due(now))
                           .order_by(Feedback.id).limit(batch).with_for_update(skip_locked=True)).all()
    if not rows:
        return None
    ids = [r.id for r in rows]
    session.execute(update(Feedback).where(Feedback.id.in_(ids)).values(analysis_lease=now + LEASE),
                    execution_options={"synchronize_session": False})
    adapter = session.scalar(select(ListeningSettings.adapter).where(ListeningSettings.org_id == org_id))
    return Claimed(org_id, ids, [r.text or "" for r in rows], adapter)


def _analyze(texts: Sequence[str], adapter: bytes | None) -> list[object | None]:
    """One result per text; None for a text the analyser refuses (the others are still analysed)."""
    from momentos.listening.analysis import analyze

    try:
        return list(analyze(texts, adapter))
    except ValueError:
        out: list[object | None] = []
        for text in texts:
            try:
                out.append(analyze([text], adapter)[0])
            except ValueError as exc:
                log.info("feedback text not analysable: %s", exc)
                out.append(None)
        return out


def store(session: Session, claimed: Claimed, results: Sequence[object | None], now: datetime) -> int:
    done = 0
    for fid, text, result in zip(claimed.ids, claimed.texts, results, strict=True):
        values: dict[str, object] = {"analyzed_at": now, "analysis_lease": None}
        if result is not None:
            vector = np.asarray(getattr(result, "embedding"), dtype=np.float32)  # noqa: B009
            values.update(language=getattr(result, "language"), sentiment=getattr(result, "sentiment"),  # noqa: B009
                          sentiment_score=round(float(getattr(result, "score")), 4),  # noqa: B009
                          embedding=vector.tobytes())
        else:
            values.update(language="und", sentiment=None, sentiment_score=None, embedding=None)
        hit = session.execute(update(Feedback).where(Feedback.id == fid, Feedback.text == text,
                                                     Feedback.analyzed_at.is_(None)).values(**values),
                              execution_options={"synchronize_session": False})
        done += int(hit.rowcount or 0)  # type: ignore[attr-defined]
    # rows whose text changed meanwhile are free for the next round at once
    session.execute(update(Feedback).where(Feedback.id.in_(claimed.ids), Feedback.analyzed_at.is_(None))
                    .values(analysis_lease=None), execution_options={"synchronize_session": False})
    return done


def analyse_batch(factory: sessionmaker[Session], now: datetime, batch: int = BATCH) -> int:
    with unit_of_work(factory) as session:
        claimed = claim(session, now, batch)
    if claimed is None:
        return 0
    results = _analyze(claimed.texts, claimed.adapter)
    with unit_of_work(factory) as session:
        done = store(session, claimed, results, now)
    with unit_of_work(factory) as session:
        settings_of(session, claimed.org_id, now)  # the organization joins the hourly watch
        adapter.refit_if_grown(session, claimed.org_id, now)
    return max(done, 1)


def analyse_org(session: Session, org_id: int, now: datetime, batch: int = BATCH) -> int:
    """Analyse all of one organization's due feedback inside the caller's transaction (the demo loader: nothing
    is committed yet, so the worker could not see the rows); the same claim, analysis and store as the job."""
    done = 0
    while (claimed := claim(session, now, batch, org_id)) is not None:
        done += store(session, claimed, _analyze(claimed.texts, claimed.adapter), now)
    return done


def embedding_of(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


def analyse_now(factory: sessionmaker[Session], org_id: int, now: datetime,
                progress: Callable[[int], None] | None = None, batch: int = BATCH) -> int:
    """Analyse all of one organization's due feedback at once (``feedback reanalyze --now``): the worker's claim,
    analysis and store, batch after batch, each in its own transactions; ``progress`` gets each batch's size."""
    done = 0
    while True:
        with unit_of_work(factory) as session:
            claimed = claim(session, now, batch, org_id)
        if claimed is None:
            break
        results = _analyze(claimed.texts, claimed.adapter)
        with unit_of_work(factory) as session:
            done += store(session, claimed, results, now)
        if progress is not None:
            progress(len(claimed.ids))
    with unit_of_work(factory) as session:
        settings_of(session, org_id, now)
        adapter.refit_if_grown(session, org_id, now)
    return done
