"""The organization's adapter in the database: decided by cross-validation on ALL its labels (survey answers and
imported ratings read per source), stored only when it beats the default, decided again at 10 % growth, and the
rating scales are a recorded configuration change."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, entries
from momentos.kit.clock import utcnow
from momentos.listening.analysis import adapter
from momentos.listening.analysis.service import read_settings
from momentos.models import Feedback
from tests.conftest import OrgHandle
from tests.listening.analysis.adaptation_data import default_says, flipped, vectors

N = 40
ACTOR = Actor(kind="cli", label="tester")
NPS = {"neg": 2, "neu": 7, "pos": 10}
STARS = {"neg": 1, "neu": 3, "pos": 5}


def _store(db: Session, org_id: int, x: np.ndarray, labels: list[str], *, start: int = 0,
           source: str = "survey", rating: bool = False) -> None:
    now = utcnow()
    db.add_all([Feedback(org_id=org_id, kind="comment", source=source, external_id=f"{source}-{start + i}",
                         text=f"comment {start + i}", perception={}, occurred_at=now, created_at=now, analyzed_at=now,
                         embedding=vec.tobytes(), sentiment="neu",
                         **({"rating": float(STARS[lab])} if rating else {"nps": NPS[lab]}))
                for i, (vec, lab) in enumerate(zip(x, labels, strict=True))])
    db.flush()


def test_the_adapter_stays_off_when_it_does_not_beat_the_default(db: Session, org: OrgHandle) -> None:
    x = vectors(N)
    _store(db, org.id, x, default_says(x))
    assert adapter.refit_if_grown(db, org.id, utcnow())
    row = read_settings(db, org.id, utcnow())
    assert row.adapter is None and row.adapter_labels == N and row.adapter_fitted_at is not None
    assert row.default_f1 is not None and row.adapter_f1 is not None and row.default_f1 >= row.adapter_f1
    assert db.scalar(select(Feedback.id).where(Feedback.org_id == org.id, Feedback.analyzed_at.is_(None))) is None


def test_the_adapter_is_switched_on_when_it_beats_and_refitted_at_ten_percent(db: Session, org: OrgHandle) -> None:
    x = vectors(N + 4)
    labels = flipped(x)
    _store(db, org.id, x[:N], labels[:N])
    assert adapter.refit_if_grown(db, org.id, utcnow())
    row = read_settings(db, org.id, utcnow())
    assert row.adapter is not None and row.adapter_labels == N
    assert row.adapter_f1 is not None and row.default_f1 is not None and row.adapter_f1 > row.default_f1
    queued = db.scalars(select(Feedback.analyzed_at).where(Feedback.org_id == org.id)).all()
    assert queued and all(a is None for a in queued)  # re-analysed with the adapter
    _store(db, org.id, x[N:N + 3], labels[N:N + 3], start=N)
    assert not adapter.refit_if_grown(db, org.id, utcnow())  # 43 < 44 = 40 + 10 %
    _store(db, org.id, x[N + 3:], labels[N + 3:], start=N + 3)
    later = utcnow() + timedelta(minutes=1)
    assert adapter.refit_if_grown(db, org.id, later)
    row = read_settings(db, org.id, later)
    assert row.adapter_labels == N + 4 and row.adapter_fitted_at == later


def test_ratings_are_labels_per_source_and_survey_answers_win(db: Session, org: OrgHandle) -> None:
    x = vectors(6)
    _store(db, org.id, x[:3], ["neg", "neu", "pos"], source="shop", rating=True)
    _store(db, org.id, x[3:5], ["neg", "pos"], source="survey")
    now = utcnow()
    db.add(Feedback(org_id=org.id, kind="comment", source="shop", external_id="both", text="both", perception={},
                    occurred_at=now, created_at=now, analyzed_at=now, embedding=x[5].tobytes(), rating=1.0, nps=10))
    db.flush()
    vecs, labels = adapter.labelled(db, org.id, {})
    assert labels == ["neg", "neu", "pos", "neg", "pos", "pos"]  # the NPS 10 wins over one star
    assert vecs.shape == (6, x.shape[1])
    [shop] = adapter.rating_sources(db, org.id, {})
    assert (shop.source, shop.count, shop.resolved) == ("shop", 4, "stars")
    assert adapter.label_count(db, org.id, {}) == 6
    row = adapter.set_rating_scales(db, org.id, {"shop": "off"}, now, actor=ACTOR)
    assert row.rating_scales == {"shop": "off"} and row.adapter_stale
    assert adapter.labelled(db, org.id, row.rating_scales)[1] == ["neg", "pos", "pos"]
    assert adapter.label_count(db, org.id, row.rating_scales) == 3
    [entry] = entries(db, org.id, action="listening_settings")
    assert entry.after == {"rating_scales": {"shop": "off"}}
    adapter.set_rating_scales(db, org.id, {"shop": "ten"}, now, actor=ACTOR)
    assert adapter.labelled(db, org.id, {"shop": "ten"})[1][:3] == ["neg", "neg", "neg"]  # 1, 3, 5 of 10


def test_the_hourly_watch_decides_again_after_the_scales_changed(db: Session, org: OrgHandle) -> None:
    x = vectors(N)
    _store(db, org.id, x, default_says(x), source="shop", rating=True)
    adapter.set_rating_scales(db, org.id, {"shop": "off"}, utcnow(), actor=ACTOR)
    assert adapter.refit_if_due(db, org.id, utcnow())  # stale: decided with no usable labels
    row = read_settings(db, org.id, utcnow())
    assert not row.adapter_stale and row.adapter is None and row.adapter_labels == 0 and row.adapter_f1 is None
    assert not adapter.refit_if_due(db, org.id, utcnow())
