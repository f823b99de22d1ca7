from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class Event(Base):
    """One interaction. Unique per organization by ``message_id``; append-only.

    On PostgreSQL the four references are not foreign keys but statement-level triggers with the same effect (one
    set-based check per statement instead of one lookup per row; see migration 0011); SQLite keeps the keys.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("org_id", "message_id"),
        Index("ix_events_customer_ts", "customer_id", "timestamp"),
        Index("ix_events_process_ts", "process_id", "timestamp"),
        Index("ix_events_org_ts", "org_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    moment: Mapped[str | None] = mapped_column(String(64))
    stay_seq: Mapped[int | None] = mapped_column(Integer, default=None)
    """Set when this event moved its process into ``moment``: the stay's number in the process history."""
    stay_cycle: Mapped[int | None] = mapped_column(Integer, default=None)
    initiator: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType)
