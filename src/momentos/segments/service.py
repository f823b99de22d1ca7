"""Segments: define, change and remove them, and who belongs — always a SQL query over the customers table, so a
segment follows its customers' traits as they change and any query can use it as a subquery. Takes a session;
never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.dialect import JsonMember
from momentos.errors import Conflict, NotFound
from momentos.models import Customer, Segment
from momentos.segments.schemas import Condition, SegmentCreate, SegmentUpdate

PREVIEW = 20


def list_segments(session: Session, org_id: int) -> Sequence[Segment]:
    return session.scalars(select(Segment).where(Segment.org_id == org_id).order_by(Segment.key)).all()


def get_segment(session: Session, org_id: int, key: str) -> Segment:
    found = session.scalar(select(Segment).where(Segment.org_id == org_id, Segment.key == key))
    if found is None:
        raise NotFound("Segment not found.", code="segment_not_found", detail={"segment": key[:64]})
    return found


def _summary(segment: Segment) -> dict[str, Any]:
    return {"name_es": segment.name_es, "name_en": segment.name_en, "rule": segment.rule}


def create_segment(session: Session, org_id: int, data: SegmentCreate, now: datetime, *, actor: Actor) -> Segment:
    if session.scalar(select(Segment.id).where(Segment.org_id == org_id, Segment.key == data.key)) is not None:
        raise Conflict("A segment with this key exists.", code="segment_exists", detail={"segment": data.key})
    segment = Segment(org_id=org_id, key=data.key, name_es=data.name_es, name_en=data.name_en,
                      rule=_stored(data.rule), created_at=now, updated_at=now)
    session.add(segment)
    session.flush()
    record(session, org_id, actor, "segment.create", f"segment:{segment.key}", after=_summary(segment))
    return segment


def update_segment(session: Session, org_id: int, key: str, data: SegmentUpdate, now: datetime, *,
                   actor: Actor) -> Segment:
    segment = get_segment(session, org_id, key)
    before = _summary(segment)
    if data.name_es is not None:
        segment.name_es = data.name_es
    if data.name_en is not None:
        segment.name_en = data.name_en
    if data.rule is not None:
        segment.rule = _stored(data.rule)
    segment.updated_at = now
    session.flush()
    record_change(session, org_id, actor, "segment.update", f"segment:{segment.key}", before=before,
                  after=_summary(segment))
    return segment


def delete_segment(session: Session, org_id: int, key: str, *, actor: Actor) -> None:
    segment = get_segment(session, org_id, key)
    before = _summary(segment)
    session.delete(segment)
    session.flush()
    record(session, org_id, actor, "segment.delete", f"segment:{key}", before=before)


def _stored(rule: Sequence[Condition]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in rule]


def conditions(segment: Segment) -> list[Condition]:
    return [Condition.model_validate(c) for c in segment.rule]


def members_query(org_id: int, segment: Segment) -> Select[int]:
    """The ids of the organization's customers that meet every condition of the segment (a SQL query, evaluated
    by the database on SQLite and PostgreSQL alike)."""
    return select(Customer.id).where(Customer.org_id == org_id, *(_condition(c) for c in conditions(segment)))


def count_members(session: Session, org_id: int, segment: Segment) -> int:
    return int(session.scalar(select(func.count()).select_from(members_query(org_id, segment).subquery())) or 0)


def preview(session: Session, org_id: int, segment: Segment, limit: int = PREVIEW) -> Sequence[Customer]:
    """The first ``limit`` members, by external id."""
    stmt = (select(Customer).where(Customer.id.in_(members_query(org_id, segment)))
            .order_by(Customer.external_id).limit(limit))
    return session.scalars(stmt).all()


def membership_version(session: Session, org_id: int, key: str) -> tuple[str, int, str]:
    """Changes whenever the segment's members may have changed: the segment's rule (its last update) and the
    customers (how many, and their latest update — traits arrive through identify calls, not events)."""
    segment = get_segment(session, org_id, key)
    count, newest = session.execute(select(func.count(), func.max(Customer.updated_at))
                                    .where(Customer.org_id == org_id)).one()
    return segment.updated_at.isoformat(), int(count or 0), newest.isoformat() if newest else ""


def _condition(c: Condition) -> ColumnElement[bool]:
    if c.op == "exists":
        present = _present(c.field)
        return present if c.value is not False else not_(present)
    if c.op == "ne":
        return not_(_equals(c.field, c.value))
    if c.op == "eq":
        return _equals(c.field, c.value)
    if c.op == "in":
        values = c.value if isinstance(c.value, list) else [c.value]
        return or_(*(_equals(c.field, v) for v in values))
    number = _member(c.field, "number")
    assert isinstance(c.value, int | float)
    compared = number > float(c.value) if c.op == "gt" else number < float(c.value)
    return and_(number.is_not(None), compared)


def _equals(field: str, value: object) -> ColumnElement[bool]:
    """Never NULL: false when the attribute is missing or of another type."""
    if isinstance(value, bool):
        target: ColumnElement[Any] = _member(field, "boolean")
    elif isinstance(value, int | float):
        target, value = _member(field, "number"), float(value)
    else:
        target = _member(field, "string")
    return and_(target.is_not(None), target == value)


def _member(field: str, kind: Any) -> ColumnElement[Any]:
    if "." not in field:
        column: ColumnElement[Any] = getattr(Customer, field)
        return column
    prefix, name = field.split(".", 1)
    return JsonMember(Customer.traits if prefix == "traits" else Customer.account_traits, name, kind)


def _present(field: str) -> ColumnElement[bool]:
    if "." not in field:
        column: ColumnElement[Any] = getattr(Customer, field)
        return and_(column.is_not(None), column != "")
    return _member(field, "present")
