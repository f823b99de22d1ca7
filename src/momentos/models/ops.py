"""Operations: the heartbeat of every ``momentos worker`` process, and the history of file imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class WorkerHeartbeat(Base):
    """One ``momentos worker`` process, from its start: not per organization (a worker serves them all).

    ``last_beat_at`` moves at most every ``interval_seconds`` (one UPDATE per round of the worker's loop);
    ``stopped_at`` is set on a clean shutdown only, so a row without it and without recent beats is a dead worker.
    ``jobs`` holds, per job (by its name, e.g. ``promises.clock``), its last run:
    ``{"at", "seconds", "done", "error"}``.
    """

    __tablename__ = "worker_heartbeats"
    __table_args__ = (Index("ix_worker_heartbeats_last_beat_at", "last_beat_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    """The lease owner name the worker uses on the outbox (``host:pid`` unless given)."""
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(32))
    interval_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    """Delivery attempts that failed since the start (retried later or ended dead)."""
    jobs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ImportRecord(Base):
    """One file import into an organization (``momentos import`` or the operations page), ok or failed.

    ``actor_kind`` is ``cli`` (``actor``: the operating-system user), ``user`` (their e-mail) or ``admin_key`` (a
    page session opened with the organization's admin key). ``error`` is ``FILE:LINE: reason`` for a failed one.
    """

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_org_id_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(8), default=None)
    service: Mapped[str | None] = mapped_column(String(64), default=None)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(255), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8))
    events_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    dropped_erased: Mapped[int] = mapped_column(Integer, default=0)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
