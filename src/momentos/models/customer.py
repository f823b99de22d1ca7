from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    language: Mapped[str | None] = mapped_column(String(2), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    preferred_channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    traits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    account_id: Mapped[str | None] = mapped_column(String(255), default=None)
    account_traits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomerAlias(Base):
    """Another id under which a customer is known (Segment anonymousId, alias previousId)."""

    __tablename__ = "customer_aliases"
    __table_args__ = (UniqueConstraint("org_id", "alias"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Consent(Base):
    """Consent per channel and purpose (``*`` = any); the latest statement wins."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("customer_id", "channel", "purpose"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64), default="api")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasedIdentity(Base):
    """Tombstone of an erased customer id (digest only), so a replay does not bring the customer back."""

    __tablename__ = "erased_identities"
    __table_args__ = (UniqueConstraint("org_id", "digest"), Index("ix_erased_identities_org", "org_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
