from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, UTCDateTime


class Organization(Base):
    """A tenant: every other row belongs to exactly one organization."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(2), default="es")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    catalog_version: Mapped[str] = mapped_column(String(32), default=lambda: uuid4().hex)
    """A fresh random token on every change to services, touchpoints, journey models, surveys or promise definitions:
    the key of the cached catalog snapshot and of what the reactions to stored events derive from it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKey(Base):
    """A write key (ingestion only) or an admin key (everything); only a SHA-256 digest is stored.

    A key works until ``revoked_at`` is set (revocation) or ``expires_at`` passes (the grace period of a rotated
    key)."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_org", "org_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
