"""Writing notifications into the outbox, in the caller's transaction. Never commits.

A notification is unique per organization by its dedup key: writing it twice (a replayed event, a retried
request) leaves one row. A requested contact asks the policy at once, with the customer locked, counting what was
sent and what is queued against the caps (the decision is stored; an allowed contact counts from then on; a
suppressed contact is kept as a ``suppressed`` row so it can be explained); notices queued by ingestion are written
in bulk and decided once, by the worker, before delivery (as every row is re-checked then anyway) — until then they
count as queued for the decisions taken at request time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.audit.service import record as audit
from momentos.db import table_of
from momentos.dialect import BulkWriter, insert_ignore
from momentos.models import Notification
from momentos.policy import service as policy
from momentos.policy.engine import Decision

_TABLE = table_of(Notification)


@dataclass(frozen=True)
class NotificationIn:
    customer_id: int | None
    """None only for staff alerts (purpose ``staff_alert``) that concern no customer."""
    purpose: str
    template: str
    dedup_key: str
    params: dict[str, Any] = field(default_factory=dict)
    priority: str = "normal"
    proactive: bool = True
    process_id: int | None = None
    service_id: int | None = None
    moment: str | None = None


def enqueue(session: Session, org_id: int, item: NotificationIn, now: datetime, *,
            channels: frozenset[str] | None = None) -> Notification | None:
    """The new notification, or None when one with the same dedup key exists already. ``channels``: what the
    delivery settings can deliver on (``NotifySettings.channels``), so the first decision only chooses those."""
    row = {"org_id": org_id, "customer_id": item.customer_id, "process_id": item.process_id,
           "service_id": item.service_id, "moment": item.moment, "purpose": item.purpose, "priority": item.priority,
           "proactive": item.proactive, "template": item.template, "params": item.params,
           "dedup_key": item.dedup_key, "delivery_id": uuid4().hex, "status": "pending", "attempts": 0,
           "next_attempt_at": now, "created_at": now}
    inserted = insert_ignore(session, _TABLE, [row], ("org_id", "dedup_key"), returning=("id",))
    if not inserted:
        return None
    notification = session.get_one(Notification, inserted[0][0])
    if item.customer_id is None:  # a staff alert: no customer policy
        return notification
    ask = policy.ContactAsk(item.customer_id, item.purpose, item.priority, item.proactive, item.service_id,
                            item.moment)
    decision = policy.evaluate(session, org_id, ask, now, stage="request", notification_id=notification.id,
                               channels=channels)
    take_place(notification, decision, now)
    session.flush()
    return notification


def take_place(notification: Notification, decision: Decision, now: datetime) -> None:
    """Apply a request-time decision to its new notification, under the decision's customer lock, so that the
    next decision sees it: allowed now, it holds its place against the caps from now (``counted_at``, the channel
    chosen); held by quiet hours, it waits and holds its place from when they end, on the channel chosen; deferred
    by a cap, it waits for the next period and counts as queued then; suppressed, it is kept to be explained."""
    if decision.outcome == "suppress":
        notification.status = "suppressed"
        return
    notification.channel = decision.channel
    if decision.outcome == "send":
        notification.counted_at = now
    elif decision.until is not None:
        notification.next_attempt_at = decision.until
        notification.counted_at = decision.until if decision.channel else None


_BULK_COLUMNS = ("org_id", "customer_id", "process_id", "service_id", "moment", "purpose", "priority", "proactive",
                 "template", "params", "dedup_key", "delivery_id", "status", "attempts", "next_attempt_at",
                 "created_at")
_BULK_DATETIMES = (_BULK_COLUMNS.index("next_attempt_at"), _BULK_COLUMNS.index("created_at"))
_BULK_JSONS = (_BULK_COLUMNS.index("params"),)


def enqueue_many(session: Session, org_id: int, items: list[NotificationIn], now: datetime) -> int:
    """Bulk form for ingestion: rows are written as ``pending`` and the policy decides once, at send time.

    One multi-row statement (``BulkWriter``); returns how many were new (the others had their dedup key already).
    """
    if not items:
        return 0
    rows = [(org_id, i.customer_id, i.process_id, i.service_id, i.moment, i.purpose, i.priority, i.proactive,
             i.template, i.params, i.dedup_key, uuid4().hex, "pending", 0, now, now) for i in items]
    return len(BulkWriter(session).insert_returning("notifications", _BULK_COLUMNS, rows, ("org_id", "dedup_key"),
                                                    ("id",), datetimes=_BULK_DATETIMES, jsons=_BULK_JSONS))


def by_dedup_key(session: Session, org_id: int, dedup_key: str) -> Notification | None:
    return session.scalar(select(Notification).where(Notification.org_id == org_id,
                                                     Notification.dedup_key == dedup_key))


def list_notifications(session: Session, org_id: int, status: str | None = None, limit: int = 100,
                       after_id: int | None = None, offset: int = 0) -> list[Notification]:
    stmt = select(Notification).where(Notification.org_id == org_id)
    if status:
        stmt = stmt.where(Notification.status == status)
    if after_id is not None:
        stmt = stmt.where(Notification.id > after_id)
    return list(session.scalars(stmt.order_by(Notification.id).offset(offset).limit(limit)))


def replay(session: Session, notification: Notification, now: datetime, *, actor: Actor) -> None:
    """A dead (or suppressed) notification goes back to the queue; its delivery id stays the same. Recorded in the
    audit log (who replayed it, from which status)."""
    before = {"status": notification.status, "attempts": notification.attempts}
    notification.status, notification.attempts, notification.next_attempt_at = "pending", 0, now
    notification.lease_owner = notification.lease_until = notification.counted_at = None  # queued again
    notification.last_error = None
    notification.failed_channels = {}  # every channel may be tried again (a provider may have been set up)
    session.flush()
    audit(session, notification.org_id, actor, "notification.replay", f"notification:{notification.id}",
          before=before, after={"status": notification.status})


STATUSES = ("pending", "claimed", "sent", "dead", "suppressed")
"""Every state a notification can be in."""
REPLAYABLE = ("dead", "suppressed")


REPLAY_BATCH = 500
"""Notifications replayed per round of ``replay_all`` (loaded, changed and flushed together)."""


def replay_many(session: Session, org_id: int, ids: list[int] | None, now: datetime, *, actor: Actor) -> int:
    """Replay the organization's dead or suppressed notifications with these ids (None: every dead one)."""
    if ids is None:
        return replay_all(session, org_id, "dead", now, actor=actor)
    stmt = select(Notification).where(Notification.org_id == org_id, Notification.id.in_(ids),
                                      Notification.status.in_(REPLAYABLE))
    rows = list(session.scalars(stmt.order_by(Notification.id)))
    for n in rows:
        replay(session, n, now, actor=actor)
    return len(rows)


def replay_all(session: Session, org_id: int, status: str, now: datetime, *, actor: Actor,
               batch: int = REPLAY_BATCH) -> int:
    """Replay every notification of the organization in ``status`` (dead or suppressed), ``batch`` at a time in
    id order (memory stays bounded however many there are); each replay is in the audit log. Returns how many."""
    if status not in REPLAYABLE:
        return 0
    done, last = 0, 0
    while True:
        rows = list(session.scalars(select(Notification).where(
            Notification.org_id == org_id, Notification.status == status, Notification.id > last)
            .order_by(Notification.id).limit(batch)))
        for n in rows:
            replay(session, n, now, actor=actor)
        done += len(rows)
        if len(rows) < batch:
            return done
        last = rows[-1].id
