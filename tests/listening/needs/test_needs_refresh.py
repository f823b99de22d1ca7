"""A needs refresh covers every analysed text of the period (not only the latest 3,000), computes breadth from the
customers touched, and never lists a need without comments. Stored embeddings are synthetic (three directions plus
noise), so no encoder runs. Both databases."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.listening.needs import service as needs
from momentos.models import Customer, Feedback
from tests.conftest import OrgHandle

GROUPS = [["lost luggage at the airport", "my lost luggage never came"],
          ["rude cabin crew on board", "the cabin crew was rude"],
          ["booking page failed twice", "the booking page charged twice"]]
TEXTS = 3300


def test_a_refresh_assigns_every_text_of_the_period_and_breadth_counts_customers(
        db: Session, org: OrgHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(needs, "SAMPLE", 300)  # themes found on a sample, every text assigned
    now = utcnow()
    rng = np.random.default_rng(1)
    axes = np.eye(384, dtype=np.float32)[:3] * 3
    people = [Customer(org_id=org.id, external_id=f"p{i}", first_seen_at=now, created_at=now,
                       updated_at=now) for i in range(20)]
    db.add_all(people)
    db.flush()
    rows = []
    for i in range(TEXTS):
        g = i % 3
        vec = (axes[g] + rng.normal(0, 0.3, 384)).astype(np.float32)
        rows.append({"org_id": org.id, "kind": "comment", "source": "t", "text": GROUPS[g][i % 2], "perception": {},
                     "occurred_at": now - timedelta(days=89 * i / TEXTS), "created_at": now, "analyzed_at": now,
                     "sentiment": "neg", "language": "en", "customer_id": people[i % 20].id,
                     "embedding": (vec / np.linalg.norm(vec)).astype(np.float32).tobytes()})
    db.execute(insert(Feedback), rows)
    assert needs.refresh(db, org.id, now) == 3
    unassigned = db.scalar(select(func.count()).where(Feedback.org_id == org.id, Feedback.need_id.is_(None)))
    assert unassigned == 0  # the oldest texts too, not only the latest 3,000
    oldest = db.scalar(select(Feedback.need_id).where(Feedback.org_id == org.id).order_by(Feedback.occurred_at))
    listed = needs.ranked(db, org.id, now)
    assert sorted(n.count for n in listed) == [TEXTS // 3] * 3
    assert oldest in {n.id for n in listed}
    assert {n.label for n in listed} == {"lost luggage", "cabin crew", "booking page"}
    assert all(n.components.breadth > 0 for n in listed)
