"""Recording and reading the audit log. Callers record in the same transaction as the change they describe, so an
entry exists exactly when the change was committed.

Who acted is an ``Actor``: build it where the caller is known (``Principal.actor`` for an API key,
``Viewer.actor`` for a signed-in page, ``Actor.cli()`` for a command, ``Actor.system()`` for the worker).
Summaries are for people: short, JSON-safe, never a secret (``summarize`` trims long values and drops keys
named like secrets)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.models import AuditEntry

ActorKind = Literal["user", "key", "cli", "system"]
MAX_TEXT = 500
MAX_ITEMS = 50
SECRET_WORDS = ("password", "secret", "token", "digest", "key_hash")


@dataclass(frozen=True)
class Actor:
    """Who made a change: a person (by e-mail), an API key (by id and prefix), the command line or Momentos."""

    kind: ActorKind
    label: str
    id: int | None = None

    @classmethod
    def user(cls, email: str, user_id: int | None = None) -> Actor:
        return cls("user", email, user_id)

    @classmethod
    def key(cls, key_id: int | None, label: str) -> Actor:
        return cls("key", label, key_id)

    @classmethod
    def cli(cls, label: str = "command line") -> Actor:
        return cls("cli", label)

    @classmethod
    def system(cls, label: str = "momentos") -> Actor:
        return cls("system", label)


def _safe(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        if depth >= 3:
            return "…"
        return summarize(value, depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        trimmed = [_safe(item, depth + 1) for item in items[:MAX_ITEMS]]
        return [*trimmed, f"… {len(items) - MAX_ITEMS} more"] if len(items) > MAX_ITEMS else trimmed
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def summarize(values: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """A JSON-safe, bounded copy of ``values`` without anything named like a secret."""
    return {str(name): _safe(value, depth) for name, value in list(values.items())[:MAX_ITEMS]
            if not any(word in str(name).lower() for word in SECRET_WORDS)}


def record(session: Session, org_id: int, actor: Actor, action: str, target: str, *,
           before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None) -> AuditEntry:
    """Add one entry to the organization's audit log, in the caller's transaction."""
    entry = AuditEntry(org_id=org_id, at=utcnow(), actor_kind=actor.kind, actor_id=actor.id,
                       actor_label=actor.label[:255], action=action[:64], target=target[:255],
                       before=summarize(before) if before is not None else None,
                       after=summarize(after) if after is not None else None)
    session.add(entry)
    session.flush()
    return entry


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs between two snapshots of an object, as (before, after) summaries: an entry
    shows what changed, not the whole object."""
    names = [*before, *(name for name in after if name not in before)]
    changed = [name for name in names if before.get(name) != after.get(name)]
    return ({name: before.get(name) for name in changed if name in before},
            {name: after.get(name) for name in changed if name in after})


def record_change(session: Session, org_id: int, actor: Actor, action: str, target: str, *,
                  before: Mapping[str, Any], after: Mapping[str, Any]) -> AuditEntry:
    """Record an update with only the changed fields of ``before`` and ``after`` (an update that changes nothing is
    still recorded, with empty summaries: someone saved)."""
    old, new = changes(before, after)
    return record(session, org_id, actor, action, target, before=old, after=new)


def entries(session: Session, org_id: int, *, before_id: int | None = None, limit: int = 100,
            action: str | None = None, actor: str | None = None, target: str | None = None,
            since: datetime | None = None, until: datetime | None = None) -> list[AuditEntry]:
    """The organization's entries, newest first; ``before_id`` pages back; ``action`` filters by prefix
    (``key`` matches ``key.create`` and ``key.revoke``); ``actor`` by the actor's label; ``target`` by prefix
    (``service:`` matches every service); ``since`` (inclusive) and ``until`` (exclusive) by time."""
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor_label == actor)
    if target:
        query = query.where(AuditEntry.target.startswith(target, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))))
