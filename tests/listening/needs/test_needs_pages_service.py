"""What the needs pages call: several needs merged at once (all checked first, each merge audited), one need read,
its customers, and the list without needs that have no comments. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.errors import Conflict, NotFound
from momentos.kit.clock import utcnow
from momentos.listening.needs import service as needs
from momentos.models import AuditEntry, Feedback, Need
from tests.conftest import OrgHandle
from tests.listening.seed import seed_needs

ACTOR = Actor.cli("tests")


def test_several_needs_merge_into_the_one_kept(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    a, b, c = seed_needs(db, org.id, now).needs
    kept = needs.merge_all(db, org.id, [b, c], a, now, actor=ACTOR)
    assert kept.id == a
    assert set(db.scalars(select(Feedback.need_id).where(Feedback.org_id == org.id))) == {a}
    assert [n.id for n in needs.ranked(db, org.id, now, only_with_comments=True)] == [a]
    assert needs.read_need(db, org.id, b, now).id == a  # a merged need reads as the one kept
    merges = db.scalars(select(AuditEntry.target).where(AuditEntry.org_id == org.id,
                                                        AuditEntry.action == "need.merge")).all()
    assert sorted(merges) == sorted([f"need:{b}", f"need:{c}"])


def test_a_bad_merge_changes_nothing(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    a, b, _ = seed_needs(db, org.id, now).needs
    with pytest.raises(NotFound):
        needs.merge_all(db, org.id, [b, 999999], a, now, actor=ACTOR)
    with pytest.raises(Conflict):
        needs.merge_all(db, org.id, [b, a], a, now, actor=ACTOR)
    assert db.get_one(Need, b).merged_into_id is None


def test_a_need_without_comments_is_not_listed(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    seeded = seed_needs(db, org.id, now)
    empty = Need(org_id=org.id, label="nadie", terms=[], created_at=now, updated_at=now)
    db.add(empty)
    db.flush()
    assert empty.id not in [n.id for n in needs.ranked(db, org.id, now)]  # never listed, whatever the caller
    listed = needs.ranked(db, org.id, now, include_addressed=True, only_with_comments=True)
    assert sorted(n.id for n in listed) == sorted(seeded.needs)


def test_a_need_lists_its_customers_most_frequent_first(db: Session, org: OrgHandle) -> None:
    a, _, c = seed_needs(db, org.id, utcnow()).needs
    assert needs.need_customers(db, org.id, a) == [("ana", 1), ("bea", 1), ("eva", 1)]
    assert needs.need_customers(db, org.id, c) == [("gus", 1)]  # the anonymous comment has no customer
