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
    do_not_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the statement behind ``do_not_contact`` was made (None: never stated with a time)."""
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
    """The current consent per channel and purpose (``*`` = any): the statement with the latest ``occurred_at``
    wins, so an older message replayed later does not override a newer one. Every statement is evidence kept in
    :class:`ConsentEvent`."""

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
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the statement in force was made (the message's timestamp)."""


class ConsentEvent(Base):
    """One consent or do-not-contact statement, as evidence: who said what, on which channel and for which purpose,
    through which door (``source``), in which message, and when (``occurred_at``: the message's time). A statement
    that repeats the one before it in time is not stored again, nor a replayed message (its message id).

    Do-not-contact statements have ``purpose = "do_not_contact"`` and ``channel = "*"``; ``granted`` then holds the
    flag (True: the customer asked not to be contacted). Erasing the customer deletes their history (cascade)."""

    __tablename__ = "consent_events"
    __table_args__ = (UniqueConstraint("customer_id", "channel", "purpose", "message_id"),
                      Index("ix_consent_events_customer_occurred", "customer_id", "occurred_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentMapping(Base):
    """An organization's own mapping of consent categories (Segment's ``categoryPreferences``) to purposes, over
    the defaults (``customers.consent.DEFAULT_CATEGORIES``)."""

    __tablename__ = "consent_mappings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    categories: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasedIdentity(Base):
    """Tombstone of an erased customer id (digest only), so a replay does not bring the customer back."""

    __tablename__ = "erased_identities"
    __table_args__ = (UniqueConstraint("org_id", "digest"), Index("ix_erased_identities_org", "org_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
