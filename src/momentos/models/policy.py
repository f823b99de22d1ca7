"""Contact policy: layered rules (organization → service → moment → customer) and the stored decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class ContactRule(Base):
    """One layer of contact rules; ``scope`` is ``org``, ``service:<id>``, ``moment:<id>:<key>`` or
    ``customer:<id>``; ``rules`` holds only what this layer overrides (see policy.schemas.RuleSet)."""

    __tablename__ = "contact_rules"
    __table_args__ = (UniqueConstraint("org_id", "scope"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(200))
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContactDecision(Base):
    """Why a customer was (or was not) contacted: the outcome of one policy evaluation, with its reasons."""

    __tablename__ = "contact_decisions"
    __table_args__ = (Index("ix_contact_decisions_customer", "customer_id", "decided_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                        default=None, index=True)
    stage: Mapped[str] = mapped_column(String(16))
    """``request`` (when the contact was asked for) or ``send`` (re-checked by a worker before delivery)."""
    purpose: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    defer_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
