from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, UTCDateTime


class Process(Base):
    """One pass of a customer through a service's journey (an order, a claim, a subscription period).

    ``reference`` is the caller's key (an order id); the empty string is the customer's default pass. The moment
    history is kept on the events that caused each entry (``Event.stay_seq``); this row holds where the process
    stands now, so counting processes per moment is one indexed query.
    """

    __tablename__ = "processes"
    __table_args__ = (
        UniqueConstraint("org_id", "service_id", "customer_id", "reference"),
        Index("ix_processes_service_moment", "service_id", "current_moment"),
        Index("ix_processes_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(255), default="")
    current_moment: Mapped[str | None] = mapped_column(String(64), default=None)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    moment_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_move_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Timestamp of the latest event that carried a moment (an older one arriving later triggers a rebuild)."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
