"""The audit log: who changed what in an organization, when, with a before/after summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class AuditEntry(Base):
    """One change made by a person (``actor_kind`` ``user``), a key (``key``), the command line (``cli``) or Momentos
    itself (``system``). ``action`` is a dotted verb (``key.revoke``, ``service.update``…), ``target`` names what
    changed (``api_key:12``, ``service:delivery``); ``before`` / ``after`` hold a short summary, never secrets.
    Kept with the organization (deleted with it); never updated."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actor_label: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
