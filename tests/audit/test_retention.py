"""Entries are kept with their organization (no expiry) and go only when the organization itself is deleted."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.models import AuditEntry, Organization
from tests.conftest import OrgHandle


def _count(db: Session, org_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.org_id == org_id)) or 0)


def test_entries_go_only_with_their_organization(db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    record(db, org.id, Actor.cli(), "service.create", "service:shop")
    record(db, other_org.id, Actor.cli(), "service.create", "service:shop")
    db.execute(delete(Organization).where(Organization.id == org.id))
    db.expire_all()
    assert _count(db, org.id) == 0
    assert _count(db, other_org.id) == 1
