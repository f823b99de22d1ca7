"""Incremental analytics: per-case digests, aggregate tables per scope and lens, and each organization's watermark.

A *scope* is a service id, or 0 for the whole organization. A *lens* says how a case's steps are read: ``a``
(activities, every event), ``m`` (stays named by the moments of the service's own journey model; service scopes
only) or ``c`` (stays mapped onto the 8 contact moments). Every counter is a sum over case digests, so applying
``new digest − old digest`` for the cases an ingestion touched keeps the tables equal to a full recomputation.
Durations are kept exactly (microseconds, with a count per distinct value) and grouped in buckets, so a median or a
percentile reads the small bucket table and then only the one or two buckets holding the wanted ranks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, UTCDateTime
from momentos.models.event import Event

_COMPACT = {"sqlite_with_rowid": False}
"""Aggregate rows live in their primary key's b-tree on SQLite (one b-tree to write per row, not two)."""


class AnalyticsState(Base):
    """How far the aggregates of one organization have read the event log."""

    __tablename__ = "analytics_state"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    event_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    """Every event with an id at or below it is in the digests (ids above it may not be)."""
    alias_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    """Customer aliases at or below it were seen (an alias may move events from one customer to another)."""
    mapping: Mapped[str] = mapped_column(String(64), default="")
    """Digest of the journey models and their mappings the aggregates were built with (a change rebuilds them)."""
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class AnalyticsCase(Base):
    """One case's digest: its activities and its stays, in order, with times (JSON)."""

    __tablename__ = "analytics_cases"
    __table_args__ = (Index("ix_analytics_cases_customer", "org_id", "customer_id"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    case_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """The process id, or minus the customer id for the events without a process."""
    service_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(Text)


class AnalyticsPair(Base):
    """Directly-follows pairs: how often, and the total time between the two steps."""

    __tablename__ = "analytics_pairs"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
    total_us: Mapped[int] = mapped_column(BigInteger)


class AnalyticsDuration(Base):
    """Exact durations: the count of each distinct value, per pair (metric ``p``) or per moment (metric ``t``); metric
    ``e`` holds, per moment, the entry times (epoch µs) of the stays still open (analytics/outcomes.py)."""

    __tablename__ = "analytics_durations"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    metric: Mapped[str] = mapped_column(String(1), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    """A function of the duration, ordered like it (aggregates.bucket): a bucket's values are one range scan."""
    duration_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsBucket(Base):
    """How many durations fall in each bucket (buckets are ordered like the durations they hold)."""

    __tablename__ = "analytics_buckets"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    metric: Mapped[str] = mapped_column(String(1), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsVariant(Base):
    """Path variants: the steps joined by U+001F, keyed by their SHA-256."""

    __tablename__ = "analytics_variants"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    steps: Mapped[str] = mapped_column(Text)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsEnd(Base):
    """Start (side ``s``) and end (side ``e``) steps of the cases."""

    __tablename__ = "analytics_ends"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    side: Mapped[str] = mapped_column(String(1), primary_key=True)
    step: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsMoment(Base):
    """Funnel and time-in-moment counters per moment (see indicators.funnel and indicators.time_in_moment)."""

    __tablename__ = "analytics_moments"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    reached: Mapped[int] = mapped_column(BigInteger)
    progressed: Mapped[int] = mapped_column(BigInteger)
    current: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[int] = mapped_column(BigInteger)
    total_us: Mapped[int] = mapped_column(BigInteger)
    customers: Mapped[int] = mapped_column(BigInteger)
    """Distinct customers that entered the moment (rows of analytics_moment_customers, kept as a counter)."""
    moved_on: Mapped[int] = mapped_column(BigInteger)
    """Processes whose last entry into the moment was followed by a move further along (or, from the model's last
    moment, by any move: a renewal); see analytics/outcomes.py."""


class AnalyticsMomentCustomer(Base):
    """How many cases of a customer entered a moment (a row per customer: distinct customers per moment)."""

    __tablename__ = "analytics_moment_customers"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsChannel(Base):
    """Events per channel counted in the moment whose stay was in effect (see indicators.channel_mix)."""

    __tablename__ = "analytics_channels"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsMomentContact(Base):
    """A customer's events in a moment: all, inbound (customer-started) and outbound (see indicators.contacts)."""

    __tablename__ = "analytics_moment_contacts"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger)
    inbound: Mapped[int] = mapped_column(BigInteger)
    outbound: Mapped[int] = mapped_column(BigInteger)




class AnalyticsContactSpread(Base):
    """Customers per outbound count in a moment, with their inbound contacts (rows of analytics_moment_contacts)."""

    __tablename__ = "analytics_contact_spread"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lens: Mapped[str] = mapped_column(String(1), primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    outbound: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customers: Mapped[int] = mapped_column(BigInteger)
    inbound: Mapped[int] = mapped_column(BigInteger)


class AnalyticsConformance(Base):
    """Deviations from a service's designed journey (analytics/conformance.py), summed over the processes' digests.

    ``kind`` is a deviation kind, ``*`` (any kind) or empty (the processes counted: every process of the service
    for ``moment`` ``*``, those the moment concerns otherwise); ``channel`` is ``*`` (every channel) or the channel
    of the deviations counted (unplanned and missed contacts)."""

    __tablename__ = "analytics_conformance"
    __table_args__ = _COMPACT

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    moment: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    cases: Mapped[int] = mapped_column(BigInteger)
    deviations: Mapped[int] = mapped_column(BigInteger)


Index("ix_events_org_id_id", Event.__table__.c.org_id, Event.__table__.c.id)
"""Events of an organization by id: the aggregates find the events above their watermark with it."""
