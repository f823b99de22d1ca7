"""Test data for promises: the test shop (tests/factories.py) with promises on its ``delivery`` moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.events.schemas import Batch, EventIn, IngestResult
from momentos.events.service import ingest
from momentos.models import Notification, PromiseDefinition, PromiseInstance, PromiseTransition
from momentos.promises import definitions
from momentos.promises.schemas import PromiseCreate
from tests.factories import REACTIONS

SHIP_RULE: dict[str, Any] = {"type": "time", "start_activity": "order_placed", "stop_activity": "order_delivered",
                             "target_hours": 48, "at_risk_fraction": 0.75}


def define(session: Session, org_id: int, key: str = "delivered-in-2-days", *, rule: dict[str, Any] | None = None,
           moment: str = "purchase", kind: str = "time", staff: dict[str, Any] | None = None,
           notify_kept: bool = False) -> PromiseDefinition:
    data = PromiseCreate.model_validate({
        "key": key, "service": "shop", "moment": moment, "kind": kind,
        "text": {"es": "Tu pedido llega en 2 días", "en": "Your order arrives within 2 days"},
        "recovery": {"es": "Perdón: te devolvemos el envío.", "en": "Sorry: we refund the shipping."},
        "rule": rule or SHIP_RULE, "staff": staff or {}, "notify_kept": notify_kept})
    return definitions.create(session, org_id, data, actor=Actor.cli("tests"))


def instances(session: Session, org_id: int) -> list[PromiseInstance]:
    session.expire_all()
    return list(session.scalars(select(PromiseInstance).where(PromiseInstance.org_id == org_id)
                                .order_by(PromiseInstance.id)))


def transitions(session: Session, org_id: int) -> list[tuple[int, int, str | None, str, datetime, str]]:
    rows = session.execute(select(PromiseTransition.instance_id, PromiseTransition.seq, PromiseTransition.from_state,
                                  PromiseTransition.to_state, PromiseTransition.at, PromiseTransition.source)
                           .where(PromiseTransition.org_id == org_id)
                           .order_by(PromiseTransition.instance_id, PromiseTransition.seq))
    return [tuple(r) for r in rows]


def notices(session: Session, org_id: int) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.org_id == org_id,
                                                           Notification.purpose.in_(("promise", "staff_alert")))
                                .order_by(Notification.id)))


def send_at(session: Session, org_id: int, now: datetime, *events: EventIn) -> IngestResult:
    """Ingest as if received at ``now`` (the promise clock of the batch)."""
    return ingest(session, org_id, Batch(events=list(events)), source="api", received_at=now, reactions=REACTIONS)
