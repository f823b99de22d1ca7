"""Listening: surveys and their invitations, feedback from every source, needs, per-organization settings
(the fitted sentiment adapter, the staff alert address) and early-warning episodes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false, text

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class Survey(Base):
    """A questionnaire, optionally attached to a service's moment (entering it invites the customer) or to one of its
    touchpoints (an event of the touchpoint's activities invites the customer).

    ``questions``: a list of ``{"key", "kind", "label": {"es", "en"}}``; kind is ``nps`` (0–10), ``csat`` (1–5),
    ``ces`` (1–7), ``perception`` (1–5, key = reliability | involvement | image | a custom key) or ``text``.
    """

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("org_id", "key"), Index("ix_surveys_trigger", "org_id", "service_id", "moment"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    title_es: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), default=None)
    moment: Mapped[str | None] = mapped_column(String(64), default=None)
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"), default=None)
    """Attached to a touchpoint: an event of one of its activities invites the customer (not entering the moment)."""
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    valid_hours: Mapped[int] = mapped_column(Integer, default=72)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SurveyInvitation(Base):
    """One invitation to answer a survey (``/f/<token>``), its notification, its answer. Like a status link, only
    the token's SHA-256 ``digest`` and the ``nonce`` it is derived from are stored (``nonce`` None: issued before)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("org_id", "dedup_key"), Index("ix_survey_invitations_process", "process_id"),
                      Index("ix_survey_invitations_survey", "survey_id", "created_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), default=None)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"), default=None)
    moment: Mapped[str | None] = mapped_column(String(64), default=None)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"),
                                                        default=None)
    dedup_key: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Feedback(Base):
    """One piece of feedback: a survey answer, a complaint, a review, a social mention, a status-page comment.

    Unique per organization by (source, external id) when an external id is given: re-imports add nothing.
    The analysis (language, sentiment, embedding as float32 bytes) is filled in by the background job.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("org_id", "source", "external_id"),
                      Index("ix_feedback_org_time", "org_id", "occurred_at"),
                      Index("ix_feedback_unanalyzed", "analyzed_at", "id"),
                      Index("ix_feedback_need", "need_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), default=None)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"), default=None)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"), default=None)
    moment: Mapped[str | None] = mapped_column(String(64), default=None)
    promise: Mapped[str | None] = mapped_column(String(200), default=None)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"), default=None)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invitations.id", ondelete="SET NULL"),
                                                      default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    author: Mapped[str | None] = mapped_column(String(200), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    rating: Mapped[float | None] = mapped_column(Float, default=None)
    nps: Mapped[int | None] = mapped_column(Integer, default=None)
    csat: Mapped[int | None] = mapped_column(Integer, default=None)
    ces: Mapped[int | None] = mapped_column(Integer, default=None)
    perception: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str | None] = mapped_column(String(3), default=None)
    sentiment: Mapped[str | None] = mapped_column(String(3), default=None)
    sentiment_score: Mapped[float | None] = mapped_column(Float, default=None)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    analyzed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    analysis_lease: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Held by the worker analysing this text; another worker takes it over once it has passed."""
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"), default=None)


class Need(Base):
    """A theme synthesised from feedback; staff may name it, merge it into another, mark it addressed."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_org", "org_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"), default=None)
    addressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ListeningSettings(Base):
    """Per organization: the staff alert address and the sentiment adapter fitted on its own rated feedback.

    ``adapter`` is set only while the adapter is switched on (its cross-validated macro-F1 beat the default's);
    ``adapter_f1`` / ``default_f1`` are both scores on the same folds at the last decision, ``adapter_labels`` the
    labels it was decided on and ``adapter_fitted_at`` when (see ``listening.analysis.adapter``)."""

    __tablename__ = "listening_settings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    alert_email: Mapped[str | None] = mapped_column(String(320), default=None)
    adapter: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    adapter_labels: Mapped[int] = mapped_column(Integer, default=0)
    adapter_fitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    adapter_f1: Mapped[float | None] = mapped_column(Float, default=None)
    default_f1: Mapped[float | None] = mapped_column(Float, default=None)
    adapter_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Decide again at the next watch (the rating scales changed)."""
    rating_scales: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default=text("'{}'"))
    """Imported ``rating`` → label, per feedback source: ``auto`` (the default), ``stars`` (1–5), ``ten`` (0–10) or
    ``off`` (see ``listening.analysis.ratings``)."""
    needs_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    warning_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """The last quarter hour the early-warning detector checked (the end of its last rolling hour)."""
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Held by the worker refreshing this organization's needs and warnings (several workers may run)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WarningEpisode(Base):
    """An early-warning alarm: one row per (organization, service or all, episode start), so one alert each."""

    __tablename__ = "warning_episodes"
    __table_args__ = (UniqueConstraint("org_id", "scope", "started_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(80))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_hour_at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer)
    negatives: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
