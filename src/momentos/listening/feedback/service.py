"""Feedback from other sources (complaints, reviews, social mentions, comments). Never commits.

Every item is checked before anything is written (a batch is all or nothing); an item whose (source, external
id) is stored already is skipped, so re-sending or re-importing adds nothing. Customer, service, process and
moment are tied where known; an unknown customer id is kept out (the item stays anonymous), an unknown service,
process or moment is an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.errors import NotFound, ValidationFailed
from momentos.listening.feedback.schemas import TEXT_MAX, FeedbackIn, FeedbackResult
from momentos.models import Customer, Feedback, Need, Process, Service, StatusFeedback

CONTROL_SHARE = 0.02


class BadItem(ValueError):
    """One item is not acceptable; ``reason`` says why, in words for the person who sent it."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def check_text(text: str) -> str:
    """The text stripped; raises ValueError when empty, too long or binary (NUL or many control characters)."""
    if "\x00" in text:
        raise ValueError("binary content (NUL bytes) in the text")
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty text")
    if len(stripped) > TEXT_MAX:
        raise ValueError(f"text too long ({len(stripped)} characters; at most {TEXT_MAX})")
    controls = sum(1 for ch in stripped if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t")
    if controls > max(1, CONTROL_SHARE * len(stripped)):
        raise ValueError("binary content (control characters) in the text")
    return stripped


@dataclass
class _Context:
    services: dict[str, Service]
    customers: dict[str, int]
    processes: dict[int, Process]


def _context(session: Session, org_id: int, items: Sequence[FeedbackIn]) -> _Context:
    keys = {i.service for i in items if i.service}
    services = {s.key: s for s in session.scalars(select(Service).where(Service.org_id == org_id,
                                                                        Service.key.in_(keys)))} if keys else {}
    ids = {i.customer for i in items if i.customer}
    found = dict(session.execute(select(Customer.external_id, Customer.id).where(
        Customer.org_id == org_id, Customer.external_id.in_(ids))).all()) if ids else {}
    pids = {i.process_id for i in items if i.process_id is not None}
    procs = {p.id: p for p in session.scalars(select(Process).where(Process.org_id == org_id,
                                                                    Process.id.in_(pids)))} if pids else {}
    return _Context(services, found, procs)


def _row(session: Session, org_id: int, index: int, item: FeedbackIn, ctx: _Context,
         now: datetime) -> dict[str, Any]:
    try:
        text = check_text(item.text)
    except ValueError as exc:
        raise BadItem(index, str(exc)) from exc
    service = ctx.services.get(item.service) if item.service else None
    if item.service and service is None:
        raise BadItem(index, f"unknown service '{item.service}'")
    process = ctx.processes.get(item.process_id) if item.process_id is not None else None
    if item.process_id is not None and process is None:
        raise BadItem(index, f"unknown process {item.process_id}")
    service_id = service.id if service else (process.service_id if process else None)
    if item.moment and service_id is not None:
        svc = service or session.get_one(Service, service_id)
        if not catalog.get_journey_model(session, org_id, svc.journey_model_key).has(item.moment):
            raise BadItem(index, f"unknown moment '{item.moment}'")
    customer_id = ctx.customers.get(item.customer) if item.customer else None
    if customer_id is None and process is not None:
        customer_id = process.customer_id
    return {"org_id": org_id, "kind": item.kind, "source": item.source, "external_id": item.external_id,
            "customer_id": customer_id, "process_id": process.id if process else None, "service_id": service_id,
            "moment": item.moment or (process.current_moment if process else None), "promise": item.promise,
            "text": text, "author": item.author, "url": item.url, "rating": item.rating, "perception": {},
            "occurred_at": item.occurred_at, "created_at": now}


def add_feedback(session: Session, org_id: int, items: Sequence[FeedbackIn], now: datetime) -> FeedbackResult:
    """Store the items (all checked first; raises ``BadItem`` for the first bad one); duplicates are skipped."""
    ctx = _context(session, org_id, items)
    rows = [_row(session, org_id, index, item, ctx, now) for index, item in enumerate(items)]
    inserted = insert_ignore(session, table_of(Feedback), rows, ("org_id", "source", "external_id"),
                             returning=("id",)) if rows else []
    return FeedbackResult(accepted=len(inserted), duplicates=len(rows) - len(inserted))


SENTIMENTS = ("pos", "neu", "neg")


@dataclass(frozen=True)
class FeedbackFilter:
    """What an inbox or a list is narrowed to (None: any)."""

    service_id: int | None = None
    moment: str | None = None
    sentiment: str | None = None
    source: str | None = None
    need_id: int | None = None


def _conditions(org_id: int, f: FeedbackFilter) -> list[ColumnElement[bool]]:
    found = [Feedback.org_id == org_id]
    if f.service_id is not None:
        found.append(Feedback.service_id == f.service_id)
    if f.moment:
        found.append(Feedback.moment == f.moment)
    if f.sentiment:
        found.append(Feedback.sentiment == f.sentiment)
    if f.source:
        found.append(Feedback.source == f.source)
    if f.need_id is not None:
        found.append(Feedback.need_id == f.need_id)
    return found


def _bad(field: str, message: str, value: object) -> ValidationFailed:
    return ValidationFailed(message, code="bad_filter", detail={"field": field, "value": value})


def make_filter(session: Session, org_id: int, *, service: str | None = None, moment: str | None = None,
                sentiment: str | None = None, source: str | None = None,
                need_id: int | None = None) -> FeedbackFilter:
    """A filter from what a person or a client asked for; raises ``ValidationFailed`` (``detail.field`` names the
    parameter) for an unknown service, moment (of the service, or of any service), sentiment or need."""
    svc = None
    if service:
        svc = session.scalar(select(Service).where(Service.org_id == org_id, Service.key == service))
        if svc is None:
            raise _bad("service", f"There is no service '{service}'.", service)
    if moment:
        services = [svc] if svc is not None else list(catalog.list_services(session, org_id))
        if not any(catalog.get_journey_model(session, org_id, s.journey_model_key).has(moment) for s in services):
            raise _bad("moment", f"There is no moment '{moment}'" + (f" in service '{service}'." if svc else "."),
                       moment)
    if sentiment and sentiment not in SENTIMENTS:
        raise _bad("sentiment", "The sentiment must be pos, neu or neg.", sentiment)
    if need_id is not None:
        need = session.get(Need, need_id)
        if need is None or need.org_id != org_id:
            raise _bad("need", f"There is no need {need_id}.", need_id)
    return FeedbackFilter(svc.id if svc is not None else None, moment or None, sentiment or None, source or None,
                          need_id)


def list_feedback(session: Session, org_id: int, where: FeedbackFilter, *, limit: int = 100,
                  after_id: int | None = None) -> list[Feedback]:
    """Oldest first from ``after_id`` (a cursor for syncing), narrowed like the inbox."""
    stmt = select(Feedback).where(*_conditions(org_id, where))
    if after_id is not None:
        stmt = stmt.where(Feedback.id > after_id)
    return list(session.scalars(stmt.order_by(Feedback.id).limit(limit)))


def inbox(session: Session, org_id: int, where: FeedbackFilter, *, limit: int = 25,
          before_id: int | None = None) -> list[tuple[Feedback, str | None]]:
    """Feedback newest first (by when it happened), each with its customer's external id; ``before_id``: the last
    item of the previous page (an id of another organization or unknown starts from the newest)."""
    stmt = (select(Feedback, Customer.external_id).outerjoin(Customer, Customer.id == Feedback.customer_id)
            .where(*_conditions(org_id, where)))
    last = session.get(Feedback, before_id) if before_id is not None else None
    if last is not None and last.org_id == org_id:
        stmt = stmt.where(or_(Feedback.occurred_at < last.occurred_at,
                              and_(Feedback.occurred_at == last.occurred_at, Feedback.id < last.id)))
    rows = session.execute(stmt.order_by(Feedback.occurred_at.desc(), Feedback.id.desc()).limit(limit)).all()
    return [(r[0], r[1]) for r in rows]


def sources(session: Session, org_id: int) -> list[str]:
    """The sources the organization's feedback came from, in alphabetical order."""
    return list(session.scalars(select(Feedback.source).where(Feedback.org_id == org_id).distinct()
                                .order_by(Feedback.source)))


def feedback_of_customer(session: Session, org_id: int, customer_id: int, limit: int = 50) -> list[Feedback]:
    """A customer's feedback, newest first."""
    return list(session.scalars(select(Feedback).where(Feedback.org_id == org_id, Feedback.customer_id == customer_id)
                                .order_by(Feedback.occurred_at.desc(), Feedback.id.desc()).limit(limit)))


def get_feedback(session: Session, org_id: int, feedback_id: int) -> Feedback:
    row = session.get(Feedback, feedback_id)
    if row is None or row.org_id != org_id:
        raise NotFound("Feedback not found.", code="feedback_not_found", detail={"feedback_id": feedback_id})
    return row


def from_status_page(session: Session, row: StatusFeedback, customer_id: int, service_id: int) -> Feedback | None:
    """A comment left on a status page joins the organization's feedback (analysed like any other)."""
    try:
        text = check_text(row.text)
    except ValueError:
        return None
    item = Feedback(org_id=row.org_id, kind="comment", source="status_page", external_id=f"s{row.id}",
                    customer_id=customer_id, process_id=row.process_id, service_id=service_id, moment=row.moment,
                    text=text, perception={}, occurred_at=row.created_at, created_at=row.created_at)
    session.add(item)
    session.flush()
    return item
