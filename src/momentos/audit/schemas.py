"""What the audit API answers: entries, newest first, and the cursor of the next page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from momentos.models import AuditEntry


class ActorRead(BaseModel):
    kind: str
    id: int | None
    label: str


class AuditEntryRead(BaseModel):
    id: int
    at: datetime
    actor: ActorRead
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls(id=entry.id, at=entry.at, actor=ActorRead(kind=entry.actor_kind, id=entry.actor_id,
                                                              label=entry.actor_label),
                   action=entry.action, target=entry.target, before=entry.before, after=entry.after)


class AuditPage(BaseModel):
    entries: list[AuditEntryRead]
    next_before: int | None
    """Pass as ``before`` for the next (older) page; none when this page is the last."""
