"""Promise definitions: create, list, read; and the compiled set per organization used on the ingestion path.

Changing a definition renews the organization's catalog version, so the compiled set (cached per catalog
version by the promises' reaction, :mod:`momentos.promises.reactions`) is rebuilt; an organization without
promises costs a dict lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.catalog import service as catalog
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.models import PromiseDefinition, Service
from momentos.promises.rules import Rule, compile_rule
from momentos.promises.schemas import PromiseCreate, PromiseRead

DEFAULT_RECOVERY = {
    "es": "Lo sentimos: no hemos cumplido lo que te prometimos. Vamos a compensarte y te contactaremos enseguida.",
    "en": "We are sorry: we did not keep what we promised you. We will make it up to you and contact you shortly.",
}


@dataclass(frozen=True)
class Compiled:
    id: int
    key: str
    service_id: int
    moment: str
    kind: str
    rule: Rule
    notify_kept: bool
    staff_email: str | None
    staff_webhook: bool


@dataclass
class OrgPromises:
    by_service: dict[int, list[Compiled]] = field(default_factory=dict)
    by_id: dict[int, Compiled] = field(default_factory=dict)
    activities: frozenset[str] = frozenset()
    moments: frozenset[tuple[int, str]] = frozenset()
    entering: frozenset[str] = frozenset()
    """Activities that the touchpoints route into a moment with promises (their events may announce them)."""

    @property
    def empty(self) -> bool:
        return not self.by_id


def compile_definition(row: PromiseDefinition) -> Compiled:
    return Compiled(row.id, row.key, row.service_id, row.moment, row.kind, compile_rule(row.rule), row.notify_kept,
                    row.staff.get("email"), bool(row.staff.get("webhook")))


def build(rows: Sequence[PromiseDefinition]) -> OrgPromises:
    out = OrgPromises()
    for row in rows:
        c = compile_definition(row)
        out.by_service.setdefault(c.service_id, []).append(c)
        out.by_id[c.id] = c
    out.activities = frozenset(a for c in out.by_id.values() for a in c.rule.activities)
    out.moments = frozenset((c.service_id, c.moment) for c in out.by_id.values())
    return out


def for_snapshot(session: Session, snapshot: CatalogSnapshot) -> OrgPromises:
    """The organization's active promises, with the activities its touchpoints route into their moments."""
    compiled = active(session, snapshot.org_id)
    compiled.entering = frozenset(activity for (sid, activity), rule in snapshot.rules.items()
                                  if (sid, rule.moment) in compiled.moments)
    return compiled


def active(session: Session, org_id: int) -> OrgPromises:
    return build(list(session.scalars(select(PromiseDefinition).where(
        PromiseDefinition.org_id == org_id, PromiseDefinition.active.is_(True)).order_by(PromiseDefinition.id))))


def create(session: Session, org_id: int, data: PromiseCreate, *, actor: Actor) -> PromiseDefinition:
    service = catalog.get_service(session, org_id, data.service)
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    if not model.has(data.moment):
        raise ValidationFailed(f"Unknown moment '{data.moment}' for journey model '{model.key}'.",
                               code="unknown_moment", detail={"moment": data.moment, "moments": model.keys})
    if session.scalar(select(PromiseDefinition.id).where(PromiseDefinition.org_id == org_id,
                                                         PromiseDefinition.key == data.key)) is not None:
        raise Conflict(f"Promise '{data.key}' exists already.", code="promise_exists", detail={"key": data.key})
    now = utcnow()
    row = PromiseDefinition(org_id=org_id, service_id=service.id, moment=data.moment, key=data.key, kind=data.kind,
                            texts=data.text.model_dump(),
                            recovery=data.recovery.model_dump() if data.recovery else dict(DEFAULT_RECOVERY),
                            rule=data.rule.model_dump(mode="json", exclude_none=True),
                            staff=data.staff.model_dump(mode="json", exclude_none=True),
                            notify_kept=data.notify_kept, active=True, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    catalog.catalog_changed(session, org_id)
    record(session, org_id, actor, "promise.create", f"promise:{row.key}",
           after={"service": data.service, "moment": row.moment, "kind": row.kind, "rule": row.rule,
                  "text": row.texts, "staff": row.staff, "notify_kept": row.notify_kept})
    return row


def get(session: Session, org_id: int, key: str) -> PromiseDefinition:
    row = session.scalar(select(PromiseDefinition).where(PromiseDefinition.org_id == org_id,
                                                         PromiseDefinition.key == key))
    if row is None:
        raise NotFound(f"Promise '{key}' not found.", code="promise_not_found", detail={"key": key})
    return row


def list_definitions(session: Session, org_id: int, service: str | None = None) -> list[PromiseDefinition]:
    stmt = select(PromiseDefinition).where(PromiseDefinition.org_id == org_id)
    if service is not None:
        stmt = stmt.where(PromiseDefinition.service_id == catalog.get_service(session, org_id, service).id)
    return list(session.scalars(stmt.order_by(PromiseDefinition.key)))


def deactivate(session: Session, org_id: int, key: str, *, actor: Actor) -> PromiseDefinition:
    row = get(session, org_id, key)
    was_active = row.active
    row.active, row.updated_at = False, utcnow()
    session.flush()
    catalog.catalog_changed(session, org_id)
    record(session, org_id, actor, "promise.retire", f"promise:{row.key}", before={"active": was_active},
           after={"active": False})
    return row


def to_read(session: Session, row: PromiseDefinition) -> PromiseRead:
    service_key = session.scalar(select(Service.key).where(Service.id == row.service_id)) or ""
    return PromiseRead(id=row.id, key=row.key, service=service_key, moment=row.moment, kind=row.kind,
                       text=row.texts, recovery=row.recovery, rule=row.rule, staff=row.staff,
                       notify_kept=row.notify_kept, active=row.active, created_at=row.created_at)
