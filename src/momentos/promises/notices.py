"""What promises tell customers and staff, written into the outbox in the transaction of the change.

- a moment with promises starts → one ``promise`` notice listing them with their due dates (``promise_announce``);
- at risk → a proactive notice with a new estimate (``promise_at_risk``);
- broken → the recovery message, apology and offer from the definition (``promise_broken``), and a staff alert
  (``staff_alert``: purpose ``staff_alert``, to the definition's e-mail address or the organization's webhook;
  it is not a customer contact, so the customer's consent and caps do not apply to it);
- kept → ``promise_kept`` only when the definition asks for it.

Dedup keys are unique per (instance, state) — ``promise:<instance>:<state>`` and ``…:staff`` — so a replay, a
retried batch or a second clock worker never writes a second notice. Changes older than ``STALE`` (an import of
last year's log) are recorded as transitions but told to no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from statistics import median
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.dates import DateTimePattern, parse_pattern
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.kit import i18n
from momentos.models import Customer, Organization, PromiseDefinition, PromiseInstance, Service
from momentos.notify.outbox import NotificationIn, enqueue_many
from momentos.promises.definitions import Compiled, OrgPromises

if TYPE_CHECKING:
    from momentos.promises.service import Change

STALE = timedelta(days=2)
LANGS = ("es", "en")


@dataclass(frozen=True)
class Entry:
    """A process entered a moment that has promises (the event's message id makes the announcement unique)."""

    process_id: int
    service_id: int
    customer_id: int
    message_id: str
    moment: str


@dataclass
class _Context:
    org_name: str
    org_tz: str
    org_lang: str
    names: dict[int, str]
    services: dict[int, dict[str, str]]
    texts: dict[int, PromiseDefinition]


def _context(session: Session, org_id: int, customer_ids: set[int], service_ids: set[int],
             definition_ids: set[int]) -> _Context:
    org = session.get_one(Organization, org_id)
    names = {cid: name or "" for cid, name in session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_(sorted(customer_ids))))} if customer_ids else {}
    services = {sid: {"es": es, "en": en} for sid, es, en in session.execute(
        select(Service.id, Service.name_es, Service.name_en).where(Service.id.in_(sorted(service_ids))))}
    texts = {d.id: d for d in session.scalars(select(PromiseDefinition).where(
        PromiseDefinition.id.in_(sorted(definition_ids))))} if definition_ids else {}
    return _Context(org.name, org.timezone or "UTC", org.default_language or "es", names, services, texts)


@cache
def _pattern(lang: str) -> tuple[Locale, DateTimePattern]:
    """The pattern of ``kit.i18n.format_datetime`` (medium date, short time), parsed once per language."""
    locale = Locale.parse(lang)
    glue = str(locale.datetime_formats["medium"])
    return locale, parse_pattern(glue.replace("{0}", locale.time_formats["short"].pattern)
                                 .replace("{1}", locale.date_formats["medium"].pattern))


def format_when(value: datetime, lang: str, tz: str) -> str:
    """Same text as ``kit.i18n.format_datetime``, at a fraction of the cost (the clock formats thousands)."""
    locale, pattern = _pattern(lang)
    return str(pattern.apply(value.astimezone(i18n.zone(tz)), locale))


def _when(value: datetime | None, tz: str, memo: dict[tuple[datetime, str], dict[str, str]] | None = None
          ) -> dict[str, str]:
    """The instant in both languages; ``memo`` keeps the texts of a batch per minute (all the texts show)."""
    if value is None:
        return {lang: "" for lang in LANGS}
    key = (value.replace(second=0, microsecond=0), tz)
    if memo is not None and key in memo:
        return memo[key]
    texts = {lang: format_when(value, lang, tz) for lang in LANGS}
    if memo is not None:
        memo[key] = texts
    return texts


def _base(ctx: _Context, d: PromiseDefinition, customer_id: int, service_id: int) -> dict[str, Any]:
    return {"org_name": ctx.org_name, "customer_name": ctx.names.get(customer_id, ""),
            "service_name": ctx.services.get(service_id, {"es": "", "en": ""}), "promise_text": d.texts,
            "promise_key": d.key}


def for_changes(session: Session, org_id: int, promises: OrgPromises, changes: Sequence[Change],
                now: datetime) -> int:
    """Queue the notices of these state changes; returns how many rows were new."""
    told = [c for c in changes if now - c.at <= STALE and _wanted(promises.by_id.get(c.definition_id), c.to_state)]
    if not told:
        return 0
    ctx = _context(session, org_id, {c.customer_id for c in told}, {c.service_id for c in told},
                   {c.definition_id for c in told})
    estimates = _estimates(session, {c.definition_id for c in told if c.to_state == "at_risk"})
    items: list[NotificationIn] = []
    memo: dict[tuple[datetime, str], dict[str, str]] = {}
    for c in told:
        d, compiled = ctx.texts[c.definition_id], promises.by_id[c.definition_id]
        params = {**_base(ctx, d, c.customer_id, c.service_id), "due": _when(c.due_at, ctx.org_tz, memo)}
        if c.to_state == "at_risk":
            params["estimate"] = _when(_estimate(c, estimates.get(c.definition_id), now), ctx.org_tz)
        if c.to_state == "broken":
            params["recovery"] = d.recovery
        items.append(NotificationIn(customer_id=c.customer_id, purpose="promise", template=f"promise_{c.to_state}",
                                    dedup_key=f"promise:{c.instance_id}:{c.to_state}", params=params,
                                    priority="transactional" if c.to_state == "broken" else "normal",
                                    process_id=c.process_id, service_id=c.service_id, moment=d.moment))
        if c.to_state == "broken" and (compiled.staff_email or compiled.staff_webhook):
            staff = {**params, "staff_email": compiled.staff_email or "", "staff_webhook": compiled.staff_webhook,
                     "language": ctx.org_lang, "instance_id": c.instance_id, "broken_at": _when(c.at, ctx.org_tz, memo)}
            items.append(NotificationIn(customer_id=c.customer_id, purpose="staff_alert", template="staff_alert",
                                        dedup_key=f"promise:{c.instance_id}:broken:staff", params=staff,
                                        priority="transactional", proactive=False, process_id=c.process_id,
                                        service_id=c.service_id, moment=d.moment))
    return enqueue_many(session, org_id, items, now)


def _wanted(d: Compiled | None, state: str) -> bool:
    if d is None:
        return False
    return state in ("at_risk", "broken") or (state == "kept" and d.notify_kept)


def _estimates(session: Session, definition_ids: set[int]) -> dict[int, float]:
    """Median seconds from start to stop of the latest finished instances of each definition."""
    out: dict[int, float] = {}
    for did in sorted(definition_ids):
        rows = session.execute(select(PromiseInstance.started_at, PromiseInstance.stopped_at).where(
            PromiseInstance.definition_id == did, PromiseInstance.stopped_at.is_not(None))
            .order_by(PromiseInstance.stopped_at.desc()).limit(200)).all()
        if rows:
            out[did] = median((b - a).total_seconds() for a, b in rows if b is not None)
    return out


def _estimate(c: Change, typical: float | None, now: datetime) -> datetime | None:
    """The new estimate told with an at-risk notice: the typical finish if it is later than promised, else the
    promised due time (never in the past)."""
    if typical is None:
        return c.due_at
    guess = max(now, c.started_at + timedelta(seconds=typical))
    return guess if c.due_at is None or guess > c.due_at else c.due_at


def announce(session: Session, org_id: int, promises: OrgPromises, entries: Sequence[Entry], now: datetime) -> int:
    """One ``promise`` notice per moment entry with promises, listing them (text and due date when known)."""
    if not entries:
        return 0
    pids = sorted({e.process_id for e in entries})
    dues = {(i.definition_id, i.process_id): i.due_at for i in session.scalars(
        select(PromiseInstance).where(PromiseInstance.process_id.in_(pids)))}
    defs = {d.id for e in entries for d in promises.by_service.get(e.service_id, []) if d.moment == e.moment}
    ctx = _context(session, org_id, {e.customer_id for e in entries}, {e.service_id for e in entries}, defs)
    items = []
    for e in entries:
        listed = [{"text": ctx.texts[d.id].texts, "due": _when(dues.get((d.id, e.process_id)), ctx.org_tz)}
                  for d in promises.by_service.get(e.service_id, []) if d.moment == e.moment]
        params = {"org_name": ctx.org_name, "customer_name": ctx.names.get(e.customer_id, ""),
                  "service_name": ctx.services.get(e.service_id, {"es": "", "en": ""}),
                  "promises": {lang: [{"text": p["text"].get(lang, ""), "due": p["due"][lang]} for p in listed]
                               for lang in LANGS}}
        items.append(NotificationIn(customer_id=e.customer_id, purpose="promise", template="promise_announce",
                                    dedup_key=f"promise-announce:{e.message_id}:{e.moment}", params=params,
                                    process_id=e.process_id, service_id=e.service_id, moment=e.moment))
    return enqueue_many(session, org_id, items, now)
