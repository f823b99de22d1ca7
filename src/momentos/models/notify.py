"""The transactional outbox (notifications), webhook endpoints, status-page tokens and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class Notification(Base):
    """One outbound contact. Written in the transaction of its cause; unique per organization by ``dedup_key``.

    Status: ``pending`` → ``claimed`` (a worker holds the lease) → ``sent`` | ``dead`` | ``suppressed``.
    ``counted_at`` is set when the policy allowed the send (at request or at send time; held by quiet hours: when
    they end): the row counts against frequency caps from then on. Pending rows without it count as queued.
    A permanent failure on a channel adds it to ``failed_channels`` and the policy chooses the next one (the same
    row goes on there); its delivery attempts are ``NotificationAttempt`` rows.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("org_id", "dedup_key"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_customer", "customer_id", "counted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    """None only for staff alerts that concern no customer (early warning)."""
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), default=None)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"), default=None)
    moment: Mapped[str | None] = mapped_column(String(64), default=None)
    purpose: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    proactive: Mapped[bool] = mapped_column(Boolean, default=True)
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    dedup_key: Mapped[str] = mapped_column(String(255))
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable across retries: the SMTP Message-ID, the webhook-id, the SMS idempotency key."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failed_channels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default=text("'{}'"))
    """Channels that failed permanently for this notification → the failure (``hard_bounce``…): the policy skips
    them. Emptied by a replay."""


ATTEMPT_OUTCOMES = ("sent", "temporary_failure", "permanent_failure", "switched")


class MailboxMessage(Base):
    """A message delivered to the local mailbox (``MOMENTOS_NOTIFY__LOCAL_MAILBOX``, the demo's channel) instead of
    a real provider: what the receiver would have got, kept for staff to read on ``/ops/mailbox``. ``html`` is the
    e-mail's HTML alternative (None: text only, as SMS and WhatsApp always are). ``customer_id``: the customer the
    notification was about (their data: exported and erased with them)."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (Index("ix_mailbox_messages_org_delivered", "org_id", "delivered_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), default=None)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationAttempt(Base):
    """One delivery attempt of a notification on one channel, recorded by the worker after it.

    ``outcome``: ``sent``; ``temporary_failure`` (retried on the same channel after a backoff);
    ``permanent_failure`` (no channel left: the notification ended ``dead``); ``switched`` (a permanent failure
    after which the policy chose ``next_channel``). ``reason`` is the failure's kind (``hard_bounce``,
    ``provider_rejected``, ``no_provider``…) for permanent failures and switches.
    """

    __tablename__ = "notification_attempts"
    __table_args__ = (UniqueConstraint("notification_id", "number"),
                      Index("ix_notification_attempts_org_ended", "org_id", "ended_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(24))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    next_channel: Mapped[str | None] = mapped_column(String(32), default=None)


class WebhookEndpoint(Base):
    """An organization's webhook receiver. ``secrets`` holds the signing secrets, newest first: after a rotation
    the previous one keeps signing too until ``previous_expires_at`` (the grace period), then it is dropped."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org", "org_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    secrets: Mapped[list[str]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NotificationTemplate(Base):
    """An organization's override of a packaged notification template, for one purpose and language; ``moment``
    and ``channel`` are a moment key / channel name or ``*`` (any). ``subject`` and ``body`` are Jinja text
    templates, ``html`` an optional Jinja HTML body for e-mail (autoescaped); all validated in a sandbox."""

    __tablename__ = "notification_templates"
    __table_args__ = (UniqueConstraint("org_id", "purpose", "moment", "channel", "language"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    moment: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusToken(Base):
    """A process's status-page link (``/s/<token>``): only the token's SHA-256 ``digest`` is stored, and the
    ``nonce`` it is derived from with the server's secret (:func:`momentos.kit.ids.link_token`); ``nonce`` is None
    for a token issued before tokens were derived (its link still works, but cannot be shown again). Revoked tokens
    stop working."""

    __tablename__ = "status_tokens"
    __table_args__ = (Index("ix_status_tokens_process", "process_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StatusFeedback(Base):
    """Feedback left on a status page: the text and the moment it was about, nothing else about the visitor."""

    __tablename__ = "status_feedback"
    __table_args__ = (Index("ix_status_feedback_process", "process_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    moment: Mapped[str | None] = mapped_column(String(64), default=None)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
