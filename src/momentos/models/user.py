"""People who sign in to the pages: users, their memberships (role per organization), server-side sessions and
failed sign-in attempts (for throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, UTCDateTime


class User(Base):
    """A person; the password is stored as an argon2id hash only. ``language`` is the chosen page language."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Lower-cased."""
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Membership(Base):
    """A user's role in one organization: ``owner``, ``manager``, ``analyst`` or ``agent``."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"), Index("ix_memberships_org", "org_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 digest is stored, so a session can
    be revoked (sign-out, a disabled user, a revoked admin key) and a new one is made at every sign-in.

    A session belongs either to a user (acting in ``org_id`` with the membership's role) or to an organization's
    admin key (``key_digest``; acts as the owner of that organization).
    """

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    key_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginFailure(Base):
    """One failed sign-in, counted per account (``email:<address>``) and per client address (``ip:<addr>``)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject", "subject", "failed_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
