"""Consent and do-not-contact statements: the current state and the history kept as evidence. Never commits.

A statement says, at a time (the message's timestamp), that a customer grants or withdraws consent for a purpose on
a channel (``*``: any), or asks (not) to be contacted at all. :func:`record` applies one message's statements:

- **history** (``consent_events``): a statement is stored with its source, message id and time, unless it repeats
  the statement that precedes it in time (Segment sends the same consent on every event) or its message was already
  recorded (a replay);
- **current state** (``consents``, ``customers.do_not_contact``): the statement with the latest time wins, so an
  older message that arrives late (a replay, a backfill) does not override a newer statement.

Segment's consent categories (``context.consent.categoryPreferences``) become purposes through the organization's
category mapping (:func:`mapping_of`): :data:`DEFAULT_CATEGORIES`, then the organization's own entries
(``PUT /api/v1/consent-mapping``), matched without regard to case. A category that maps to no purpose governs no
contact (analytics, functional cookies); an unknown category is ignored and reported as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record_change
from momentos.customers.schemas import ConsentIn, IngestWarning
from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.kit.clock import utcnow
from momentos.models import Consent, ConsentEvent, ConsentMapping, Customer

DO_NOT_CONTACT = "do_not_contact"
"""The ``purpose`` of a do-not-contact statement in the history (``granted`` then holds the flag)."""

DEFAULT_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    # contact for marketing
    "advertising": ("marketing",), "marketing": ("marketing",), "targeting": ("marketing",),
    "c0004": ("marketing",),  # OneTrust "Targeting cookies"
    # asking for feedback
    "surveys": ("survey",), "survey": ("survey",), "feedback": ("survey",),
    # consent to tracking, not to being contacted: known, governs no contact
    "analytics": (), "functional": (), "performance": (), "personalization": (), "necessary": (),
    "strictlynecessary": (), "strictly necessary": (), "datasharing": (), "socialmedia": (), "social media": (),
    "c0001": (), "c0002": (), "c0003": (), "c0005": (),
}


@dataclass(frozen=True)
class Statement:
    channel: str
    purpose: str
    granted: bool


def mapping_of(session: Session, org_id: int) -> dict[str, tuple[str, ...]]:
    """The organization's category mapping in force, keys case-folded."""
    row = session.get(ConsentMapping, org_id)
    own = {k.casefold(): tuple(v) for k, v in (row.categories if row else {}).items()}
    return {**DEFAULT_CATEGORIES, **own}


def custom_mapping(session: Session, org_id: int) -> dict[str, list[str]]:
    row = session.get(ConsentMapping, org_id)
    return dict(row.categories) if row else {}


def set_mapping(session: Session, org_id: int, categories: Mapping[str, Sequence[str]], *, actor: Actor) -> None:
    """Replace the organization's own entries (defaults stay underneath); the audit log keeps the categories that
    changed."""
    row = session.get(ConsentMapping, org_id)
    before = dict(row.categories) if row is not None else {}
    value = {k: list(dict.fromkeys(v)) for k, v in categories.items()}
    if row is None:
        session.add(ConsentMapping(org_id=org_id, categories=value, updated_at=utcnow()))
    else:
        row.categories, row.updated_at = value, utcnow()
    session.flush()
    record_change(session, org_id, actor, "consent_mapping.set", "consent_mapping", before=before, after=value)


def from_categories(categories: Mapping[str, bool], mapping: Mapping[str, tuple[str, ...]]
                    ) -> tuple[list[Statement], list[str]]:
    """Statements (on every channel) for the mapped purposes, and the unknown categories. When two categories of one
    message map to the same purpose and disagree, the refusal wins."""
    purposes: dict[str, bool] = {}
    unknown: list[str] = []
    for category, granted in categories.items():
        mapped = mapping.get(category.casefold())
        if mapped is None:
            unknown.append(category)
            continue
        for purpose in mapped:
            purposes[purpose] = purposes.get(purpose, True) and granted
    return [Statement("*", p, g) for p, g in purposes.items()], unknown


def merged(statements: Iterable[ConsentIn | Statement]) -> list[Statement]:
    """One statement per (channel, purpose) of a message; a refusal wins over a grant."""
    out: dict[tuple[str, str], bool] = {}
    for s in statements:
        key = (s.channel, s.purpose)
        out[key] = out.get(key, True) and s.granted
    return [Statement(c, p, g) for (c, p), g in sorted(out.items())]  # one lock order for concurrent requests


def record(session: Session, customer: Customer, statements: Sequence[Statement], *, do_not_contact: bool | None,
           source: str, message_id: str | None, occurred_at: datetime) -> None:
    """Apply one message's statements to the history and the current state (see the module's docstring)."""
    now = utcnow()
    for s in statements:
        _history(session, customer, s, source, message_id, occurred_at, now)
        _current(session, customer, s, source, occurred_at, now)
    if do_not_contact is not None:
        _history(session, customer, Statement("*", DO_NOT_CONTACT, do_not_contact), source, message_id,
                 occurred_at, now)
        session.flush()
        session.execute(update(Customer).where(
            Customer.id == customer.id,
            or_(Customer.do_not_contact_at.is_(None), Customer.do_not_contact_at <= occurred_at))
            .values(do_not_contact=do_not_contact, do_not_contact_at=occurred_at)
            .execution_options(synchronize_session="fetch"))
    session.flush()


def _current(session: Session, customer: Customer, s: Statement, source: str, occurred_at: datetime,
             now: datetime) -> None:
    """The latest statement by time wins. The first one is inserted ignoring a concurrent insert of the same key
    (two requests about one customer at once), which then is a row like any other."""
    if insert_ignore(session, table_of(Consent), [{
            "org_id": customer.org_id, "customer_id": customer.id, "channel": s.channel, "purpose": s.purpose,
            "granted": s.granted, "source": source, "updated_at": now, "occurred_at": occurred_at}],
            ["customer_id", "channel", "purpose"], returning=("id",)):
        return
    # one conditional statement: under concurrent requests PostgreSQL re-checks the condition on the row it waited for
    session.execute(update(Consent).where(
        Consent.customer_id == customer.id, Consent.channel == s.channel, Consent.purpose == s.purpose,
        or_(Consent.occurred_at.is_(None), Consent.occurred_at <= occurred_at))
        .values(granted=s.granted, source=source, updated_at=now, occurred_at=occurred_at)
        .execution_options(synchronize_session="fetch"))


def _history(session: Session, customer: Customer, s: Statement, source: str, message_id: str | None,
             occurred_at: datetime, now: datetime) -> None:
    same = (ConsentEvent.customer_id == customer.id, ConsentEvent.channel == s.channel,
            ConsentEvent.purpose == s.purpose)
    if message_id is not None and session.scalar(select(ConsentEvent.id).where(
            *same, ConsentEvent.message_id == message_id)) is not None:
        return  # a replay
    before = session.scalar(select(ConsentEvent.granted).where(*same, ConsentEvent.occurred_at <= occurred_at)
                            .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()).limit(1))
    if before is not None and before == s.granted:
        return  # repeats the statement in force at that time
    insert_ignore(session, table_of(ConsentEvent), [{
        "org_id": customer.org_id, "customer_id": customer.id, "channel": s.channel, "purpose": s.purpose,
        "granted": s.granted, "source": source, "message_id": message_id, "occurred_at": occurred_at,
        "recorded_at": now}], ["customer_id", "channel", "purpose", "message_id"])


def history(session: Session, customer_id: int, *, limit: int = 200) -> Sequence[ConsentEvent]:
    """The customer's statements, newest first."""
    return session.scalars(select(ConsentEvent).where(ConsentEvent.customer_id == customer_id)
                           .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()).limit(limit)).all()


def warning_unknown_categories(customer: str, message_id: str | None, unknown: Sequence[str]) -> IngestWarning:
    return IngestWarning(code="unknown_consent_category",
                         message="Consent categories not in the organization's mapping were ignored.",
                         detail={"customer": customer, "message_id": message_id, "categories": list(unknown)})


def warning_protected(customer: str, message_id: str | None, refused: Sequence[str]) -> IngestWarning:
    return IngestWarning(code="protected_trait",
                         message="Traits that a write key may not set were refused.",
                         detail={"customer": customer, "message_id": message_id, "traits": list(refused)})
