"""Delivery attempts (``notification_attempts``): written by the worker after each delivery, read by the
notifications API and the contact-decision page. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from momentos.models import ContactDecision, NotificationAttempt


def next_numbers(session: Session, notification_ids: Collection[int]) -> dict[int, int]:
    """The number the next attempt of each notification gets (1 for its first), in one query."""
    if not notification_ids:
        return {}
    found = {nid: number for nid, number in session.execute(
        select(NotificationAttempt.notification_id, func.max(NotificationAttempt.number))
        .where(NotificationAttempt.notification_id.in_(notification_ids))
        .group_by(NotificationAttempt.notification_id))}
    return {nid: int(found.get(nid) or 0) + 1 for nid in notification_ids}


def add(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store a batch's attempts (one multi-row insert)."""
    if rows:
        session.execute(insert(NotificationAttempt), list(rows))


def of_notifications(session: Session, notification_ids: Collection[int]) -> dict[int, list[NotificationAttempt]]:
    """The attempts of these notifications, in order, by notification (one query)."""
    out: dict[int, list[NotificationAttempt]] = {nid: [] for nid in notification_ids}
    if not notification_ids:
        return out
    for a in session.scalars(select(NotificationAttempt)
                             .where(NotificationAttempt.notification_id.in_(notification_ids))
                             .order_by(NotificationAttempt.notification_id, NotificationAttempt.number)):
        out[a.notification_id].append(a)
    return out


@dataclass(frozen=True)
class Switch:
    """The notification left ``from_channel`` for ``to_channel`` (None: no channel was left), for a reason (a
    policy reason code with its parameters: ``channel_unavailable`` when deciding, ``channel_failed`` after a
    permanent failure)."""

    at: datetime
    from_channel: str
    to_channel: str | None
    code: str
    params: dict[str, Any]


SKIPS = ("channel_unavailable",)


def switches_of(session: Session, notification_ids: Collection[int],
                attempts: Mapping[int, Sequence[NotificationAttempt]]) -> dict[int, list[Switch]]:
    """Each notification's channel switches, in time order: channels its decisions skipped as undeliverable (the
    first time each was skipped, towards the channel chosen then) and the switches after a permanent failure
    (from its attempts)."""
    out: dict[int, list[Switch]] = {nid: [] for nid in notification_ids}
    if not notification_ids:
        return out
    seen: set[tuple[int, str]] = set()  # a channel skipped by several decisions: its first skip
    for d in session.scalars(select(ContactDecision).where(ContactDecision.notification_id.in_(notification_ids))
                             .order_by(ContactDecision.decided_at, ContactDecision.id)):
        assert d.notification_id is not None
        for r in d.reasons:
            channel = (r.get("params") or {}).get("channel")
            if r.get("code") in SKIPS and channel and (d.notification_id, channel) not in seen:
                seen.add((d.notification_id, channel))
                out[d.notification_id].append(Switch(d.decided_at, channel, d.channel, r["code"],
                                                     dict(r.get("params") or {})))
    for nid, rows in attempts.items():
        for a in rows:
            if a.outcome in ("switched", "permanent_failure") and nid in out:
                out[nid].append(Switch(a.ended_at, a.channel, a.next_channel, "channel_failed",
                                       {"channel": a.channel, "failure": a.reason or "rejected"}))
    for items in out.values():
        items.sort(key=lambda s: s.at)
    return out
