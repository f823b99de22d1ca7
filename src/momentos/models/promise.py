"""Promises: definitions (what a service promises at a moment), instances per process, and their transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class PromiseDefinition(Base):
    """An expectation set in advance for a service's moment: a kind, customer-facing texts (es/en), a measurable
    ``rule`` (see ``promises/rules.py``), the recovery message (apology and offer, es/en) and the staff alert."""

    __tablename__ = "promise_definitions"
    __table_args__ = (
        UniqueConstraint("org_id", "key"),
        Index("ix_promise_definitions_service", "service_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    moment: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    texts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Customer-facing explanation per language: ``{"es": …, "en": …}``."""
    recovery: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Apology and offer sent when the promise is broken, per language."""
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType)
    staff: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Where staff alerts go: ``{"email": …}`` and/or ``{"webhook": true}`` (the organization's endpoint)."""
    notify_kept: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromiseInstance(Base):
    """One promise for one process. Every column but ``next_check_at`` and ``seq`` is a cache of
    ``promises.evaluate`` over the process's events and the clock; ``next_check_at`` is when the clock must look
    again (NULL when nothing can change without a new event)."""

    __tablename__ = "promise_instances"
    __table_args__ = (
        UniqueConstraint("definition_id", "process_id"),
        Index("ix_promise_instances_due", "next_check_at"),
        Index("ix_promise_instances_process", "process_id"),
        Index("ix_promise_instances_org_def", "org_id", "definition_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("promise_definitions.id", ondelete="CASCADE"))
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When it was kept (the stop) or broken (the due time passed, or the failure happened)."""
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    """Number of state changes recorded (the last transition's ``seq``)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromiseTransition(Base):
    """One state change of an instance, written once (unique per instance and ``seq``) with its notices."""

    __tablename__ = "promise_transitions"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq"),
        Index("ix_promise_transitions_org_at", "org_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("promise_instances.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(16), default=None)
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the change happened in the process's time (the due time for a break, the stop for a keep)."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))
    """``ingest`` (an event changed it) or ``clock`` (time passed)."""
