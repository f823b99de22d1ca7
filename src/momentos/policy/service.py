"""Gathering the facts for a decision, recording it, and the layered rules. Takes a session; never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.audit.service import record as audit
from momentos.catalog import service as catalog
from momentos.db import is_postgres
from momentos.models import ContactDecision, ContactRule, Customer, Notification, Service, WebhookEndpoint
from momentos.models.customer import Consent
from momentos.models.organization import Organization
from momentos.policy import rules as layering
from momentos.policy.engine import Decision, Facts, Rules, decide
from momentos.policy.schemas import RuleSet

PHONE_CHANNELS = ("sms", "whatsapp")
COUNTED_STATUSES = ("pending", "claimed", "sent")
STAFF_ALERT = "staff_alert"


@dataclass(frozen=True)
class ContactAsk:
    """A contact to decide on: for whom, why, and in which service moment (if any)."""

    customer_id: int
    purpose: str
    priority: str = "normal"
    proactive: bool = True
    service_id: int | None = None
    moment: str | None = None


def set_rules(session: Session, org_id: int, scope: str, data: RuleSet, now: datetime, *,
              actor: Actor) -> ContactRule:
    """Replace the rules of one scope (``org``, ``service:<id>``, ``moment:<id>:<moment>``, ``customer:<id>``),
    recorded in the audit log with the rules before and after."""
    row = session.scalar(select(ContactRule).where(ContactRule.org_id == org_id, ContactRule.scope == scope))
    before = dict(row.rules) if row is not None else {}
    if row is None:
        row = ContactRule(org_id=org_id, scope=scope, rules=data.stored(), updated_at=now)
        session.add(row)
    else:
        row.rules, row.updated_at = data.stored(), now
    session.flush()
    audit(session, org_id, actor, "contact_rules.set", _rules_target(session, scope), before=before,
          after=dict(row.rules))
    return row


def _rules_target(session: Session, scope: str) -> str:
    """The audit target of a rules scope, naming the service by its key (``contact_rules:service:shop``)."""
    kind, _, rest = scope.partition(":")
    if kind in ("service", "moment"):
        service_id, _, moment = rest.partition(":")
        key = session.scalar(select(Service.key).where(Service.id == int(service_id or 0)))
        return f"contact_rules:{kind}:{key or service_id}" + (f":{moment}" if moment else "")
    return f"contact_rules:{scope}"


def rules_for(session: Session, org_id: int, ask: ContactAsk) -> Rules:
    wanted = layering.scopes(ask.service_id, ask.moment, ask.customer_id)
    found = {r.scope: r.rules for r in session.scalars(
        select(ContactRule).where(ContactRule.org_id == org_id, ContactRule.scope.in_(wanted)))}
    return layering.to_rules(layering.merge(found[s] for s in wanted if s in found))


def _intensity(session: Session, org_id: int, ask: ContactAsk) -> str:
    if ask.service_id is None or ask.moment is None:
        return "proactive"
    service = session.get_one(Service, ask.service_id)
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    if not model.has(ask.moment):
        return "proactive"
    return catalog.moment_intensity(service, model, ask.moment, catalog.list_touchpoints(session, org_id, service.id))


def lock_customer(session: Session, customer_id: int) -> Customer:
    """Serialize decisions per customer (caps are counted, then the contact is counted): a row lock on PostgreSQL,
    held to the end of the transaction; SQLite transactions already hold the write lock from BEGIN IMMEDIATE.

    ``FOR NO KEY UPDATE``: it excludes the other deciders (this lock and the worker's ``FOR UPDATE``) but not the
    key-share locks that inserting a row referencing the customer takes (an event, a notification), so two
    transactions that each stored something for the customer and then decide do not deadlock."""
    stmt = select(Customer).where(Customer.id == customer_id)
    if is_postgres(session):
        stmt = stmt.with_for_update(key_share=True)
    return session.execute(stmt).scalar_one()


def lock_customers(session: Session, customer_ids: set[int]) -> None:
    """Lock several customers at once, in id order (as the worker does), before deciding on each: a transaction
    that decides for many customers (an ingested batch inviting to surveys) never waits on another while holding a
    lock that one needs (no deadlock). Same lock as :func:`lock_customer`; nothing to do on SQLite."""
    if customer_ids and is_postgres(session):
        session.execute(select(Customer.id).where(Customer.id.in_(customer_ids)).order_by(Customer.id)
                        .with_for_update(key_share=True)).all()


def org_facts(session: Session, org_id: int) -> tuple[str, bool]:
    """The organization's time zone and whether it has an active webhook (read once per worker batch, when the
    caller put a ``policy.org_facts`` dict in ``session.info``)."""
    cache: dict[int, tuple[str, bool]] = session.info.get("policy.org_facts", {})
    if org_id not in cache:
        tz = session.scalar(select(Organization.timezone).where(Organization.id == org_id)) or "UTC"
        hook = session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.org_id == org_id,
                                                               WebhookEndpoint.active.is_(True)).limit(1))
        cache[org_id] = (tz, hook is not None)
    return cache[org_id]


def addresses_of(customer: Customer, has_webhook: bool) -> frozenset[str]:
    """The channels the customer can be reached on."""
    addresses = set()
    if customer.email:
        addresses.add("email")
    if customer.phone:
        addresses.update(PHONE_CHANNELS)
    if has_webhook:
        addresses.add("webhook")
    return frozenset(addresses)


def deliverable(channels: frozenset[str] | None, has_webhook: bool) -> frozenset[str] | None:
    """The channels the organization can deliver on: those its delivery settings provide (``channels``:
    ``NotifySettings.channels``, or the worker's own) plus the webhook when it has an enabled endpoint. None
    (settings not known) leaves every channel open."""
    if channels is None:
        return None
    return channels | {"webhook"} if has_webhook else channels - {"webhook"}


def facts_for(session: Session, org_id: int, customer: Customer, ask: ContactAsk, now: datetime,
              exclude_notification: int | None = None, *, channels: frozenset[str] | None = None,
              failed: Mapping[str, str] | None = None) -> Facts:
    """``channels``: what the delivery settings can deliver on (see :func:`deliverable`); ``failed``: channels
    that failed permanently for this contact."""
    org_tz, has_webhook = org_facts(session, org_id)
    consents = {(c.channel, c.purpose): c.granted
                for c in session.scalars(select(Consent).where(Consent.customer_id == customer.id))}
    stmt = select(Notification.counted_at, Notification.channel, Notification.purpose).where(
        Notification.customer_id == customer.id, Notification.counted_at >= now - timedelta(days=8),
        Notification.status.in_(COUNTED_STATUSES))
    if exclude_notification is not None:
        stmt = stmt.where(Notification.id != exclude_notification)
    sent = [(at, ch or "", pu) for at, ch, pu in session.execute(stmt) if at is not None]
    tz = customer.timezone or org_tz
    return Facts(purpose=ask.purpose, priority="transactional" if ask.priority == "transactional" else "normal",
                 proactive=ask.proactive, intensity=_intensity(session, org_id, ask),
                 do_not_contact=customer.do_not_contact, addresses=addresses_of(customer, has_webhook),
                 preferred=tuple(customer.preferred_channels or ()), consents=consents, timezone=tz or "UTC",
                 sent=sent, queued=queued_for(session, customer.id, now, exclude_notification),
                 deliverable=deliverable(channels, has_webhook), failed=dict(failed or {}))


def queued_for(session: Session, customer_id: int, now: datetime,
               exclude_notification: int | None = None) -> list[tuple[datetime, str, str]]:
    """The customer's contacts waiting in the queue without a place yet (ingestion's notices not decided yet,
    contacts deferred by a cap, rows the worker deferred, replayed ones), each at the time it is due (overdue: now),
    with its channel when one was chosen. Counted against caps at request time. The worker counts only the places
    taken (``counted_at``: allowed at request time from then, held by quiet hours from their end, sent), each row
    against those taken before it — so a row allowed at request time is never pushed out nor counted twice."""
    stmt = select(Notification.next_attempt_at, Notification.channel, Notification.purpose).where(
        Notification.customer_id == customer_id, Notification.status == "pending",
        Notification.counted_at.is_(None), Notification.purpose != STAFF_ALERT,
        Notification.next_attempt_at < now + timedelta(days=8))
    if exclude_notification is not None:
        stmt = stmt.where(Notification.id != exclude_notification)
    return [(max(at, now), ch or "", pu) for at, ch, pu in session.execute(stmt)]


def evaluate(session: Session, org_id: int, ask: ContactAsk, now: datetime, *, stage: str = "request",
             notification_id: int | None = None, channels: frozenset[str] | None = None) -> Decision:
    """Decide and record the decision (with its reasons), the customer locked first: the count of sent and queued
    contacts and whatever the caller writes after (the notification's place) stay in one transaction under the
    lock, so two concurrent requests cannot both take a cap's last slot. ``channels``: what the delivery settings
    can deliver on (``NotifySettings.channels``); the organization's webhook endpoint is added here."""
    customer = lock_customer(session, ask.customer_id)
    facts = facts_for(session, org_id, customer, ask, now, exclude_notification=notification_id, channels=channels)
    decision = decide(facts, rules_for(session, org_id, ask), now)
    record(session, org_id, ask, decision, now, stage=stage, notification_id=notification_id)
    return decision


def record(session: Session, org_id: int, ask: ContactAsk, decision: Decision, now: datetime, *, stage: str,
           notification_id: int | None) -> ContactDecision:
    row = ContactDecision(org_id=org_id, customer_id=ask.customer_id, notification_id=notification_id, stage=stage,
                          purpose=ask.purpose, priority=ask.priority, outcome=decision.outcome,
                          channel=decision.channel, defer_until=decision.until,
                          reasons=[r.to_dict() for r in decision.reasons], decided_at=now)
    session.add(row)
    session.flush()
    return row


def latest_decision(session: Session, notification_id: int) -> ContactDecision | None:
    """The newest decision taken about this notification."""
    return session.scalar(select(ContactDecision).where(ContactDecision.notification_id == notification_id)
                          .order_by(ContactDecision.decided_at.desc(), ContactDecision.id.desc()).limit(1))


def decisions_of(session: Session, org_id: int, customer_id: int, limit: int = 100) -> Sequence[ContactDecision]:
    stmt = (select(ContactDecision).where(ContactDecision.org_id == org_id, ContactDecision.customer_id == customer_id)
            .order_by(ContactDecision.decided_at.desc(), ContactDecision.id.desc()).limit(limit))
    return session.scalars(stmt).all()


class PolicyBatch:
    """The policy for many contacts at once (a worker's claimed batch): customers (row-locked on PostgreSQL, in id
    order), consents, the sends that count against caps, rules and intensities are read once for the batch, not
    once per contact. Sends allowed within the batch count against the caps of the contacts decided after them
    (:meth:`count`). Decisions are recorded like :func:`evaluate`'s, in one insert (:meth:`record`).
    ``channels``: what the worker can deliver on (see :func:`deliverable`)."""

    def __init__(self, session: Session, org_ids: set[int], customer_ids: set[int], now: datetime, *,
                 lock: bool, channels: frozenset[str] | None = None) -> None:
        self.session, self.now, self.channels = session, now, channels
        stmt = select(Customer).where(Customer.id.in_(customer_ids)).order_by(Customer.id)
        if lock and is_postgres(session):
            stmt = stmt.with_for_update()
        self.customers = {c.id: c for c in session.scalars(stmt)}
        self.consents: dict[int, dict[tuple[str, str], bool]] = {cid: {} for cid in customer_ids}
        for c in session.scalars(select(Consent).where(Consent.customer_id.in_(customer_ids))):
            self.consents[c.customer_id][(c.channel, c.purpose)] = c.granted
        self.sent: dict[int, list[tuple[int, datetime, str, str]]] = {cid: [] for cid in customer_ids}
        for nid, cid, at, ch, pu in session.execute(select(
                Notification.id, Notification.customer_id, Notification.counted_at, Notification.channel,
                Notification.purpose).where(Notification.customer_id.in_(customer_ids),
                                            Notification.counted_at >= now - timedelta(days=8),
                                            Notification.status.in_(COUNTED_STATUSES))):
            if at is not None and cid is not None:
                self.sent[cid].append((nid, at, ch or "", pu))
        self.rules: dict[tuple[int, str], dict[str, Any]] = {
            (r.org_id, r.scope): r.rules for r in session.scalars(select(ContactRule).where(
                ContactRule.org_id.in_(org_ids)))}
        self._intensity: dict[tuple[int, int | None, str | None], str] = {}
        self._services: dict[int, Service] = {}  # held: the identity map keeps only weak references
        self.records: list[dict[str, Any]] = []

    def _rules(self, org_id: int, ask: ContactAsk) -> Rules:
        wanted = layering.scopes(ask.service_id, ask.moment, ask.customer_id)
        return layering.to_rules(layering.merge(
            self.rules[(org_id, s)] for s in wanted if (org_id, s) in self.rules))

    def _intensity_of(self, org_id: int, ask: ContactAsk) -> str:
        key = (org_id, ask.service_id, ask.moment)
        if key not in self._intensity:
            if ask.service_id is not None and ask.service_id not in self._services:
                self._services[ask.service_id] = self.session.get_one(Service, ask.service_id)
            self._intensity[key] = _intensity(self.session, org_id, ask)
        return self._intensity[key]

    def evaluate(self, org_id: int, ask: ContactAsk, notification_id: int | None, *,
                 failed: Mapping[str, str] | None = None, stage: str = "send") -> Decision:
        """``failed``: channels that failed permanently for this contact; ``stage``: ``send`` (before delivery) or
        ``fallback`` (after a permanent failure, choosing the next channel)."""
        customer = self.customers[ask.customer_id]
        org_tz, has_webhook = org_facts(self.session, org_id)
        sent = self._counted_before(customer.id, notification_id)
        facts = Facts(purpose=ask.purpose, priority="transactional" if ask.priority == "transactional" else "normal",
                      proactive=ask.proactive, intensity=self._intensity_of(org_id, ask),
                      do_not_contact=customer.do_not_contact, addresses=addresses_of(customer, has_webhook),
                      preferred=tuple(customer.preferred_channels or ()), consents=self.consents[customer.id],
                      timezone=customer.timezone or org_tz or "UTC", sent=sent,
                      deliverable=deliverable(self.channels, has_webhook), failed=dict(failed or {}))
        decision = decide(facts, self._rules(org_id, ask), self.now)
        self.records.append({
            "org_id": org_id, "customer_id": ask.customer_id, "notification_id": notification_id, "stage": stage,
            "purpose": ask.purpose, "priority": ask.priority, "outcome": decision.outcome,
            "channel": decision.channel, "defer_until": decision.until,
            "reasons": [r.to_dict() for r in decision.reasons], "decided_at": self.now})
        return decision

    def record(self) -> None:
        """Store the batch's decisions (one multi-row insert)."""
        if self.records:
            self.session.execute(insert(ContactDecision), self.records)
            self.records = []

    def _counted_before(self, customer_id: int, notification_id: int | None) -> list[tuple[datetime, str, str]]:
        """The sends that count against this row: never the row itself; for a row that already holds its place
        (allowed at request time: ``counted_at``), only those counted before it — the ones allowed after it
        (contacts that saw it in their count, transactional ones past the cap) must not push it out."""
        counted = self.sent[customer_id]
        mine = next(((at, nid) for nid, at, _, _ in counted if nid == notification_id), None)
        return [(at, ch, pu) for nid, at, ch, pu in counted
                if nid != notification_id and (mine is None or (at, nid) < mine)]

    def count(self, customer_id: int, notification_id: int, channel: str, purpose: str) -> None:
        """A send was allowed: it counts against the caps of the rest of the batch (from now, unless it already
        counts from its request)."""
        if all(nid != notification_id for nid, _, _, _ in self.sent[customer_id]):
            self.sent[customer_id].append((notification_id, self.now, channel, purpose))


def decisions_with_notifications(session: Session, org_id: int, customer_id: int,
                                 limit: int = 100) -> list[tuple[ContactDecision, Notification | None]]:
    """The customer's decisions, newest first, each with the notification it was about (its moment, template and
    delivery state), read in two queries."""
    decisions = decisions_of(session, org_id, customer_id, limit)
    ids = {d.notification_id for d in decisions if d.notification_id is not None}
    found = {n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(ids)))} if ids else {}
    return [(d, found.get(d.notification_id) if d.notification_id is not None else None) for d in decisions]
