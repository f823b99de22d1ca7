"""The delivery job (``notify.deliver``, ``DeliverJob``): claims due notifications with a lease, re-checks the policy,
delivers, and ends each in ``sent`` or ``dead`` (retrying with exponential backoff and jitter in between).

It owns its transactions: a short one to claim and decide, none while talking to the receiver, and one per
message to record its outcome, committed right after that message is sent and before the next one goes — and only
while it still holds the lease. A worker killed at any point leaves rows that another worker claims once the lease
expires: the rows it had not sent yet, and at most the one message it was sending (which may then reach its
receiver twice). The delivery id is the same on every attempt (the e-mail Message-ID, the webhook-id, the SMS
idempotency key), so receivers can drop such a repeat by id.

The policy only chooses channels the worker can deliver on (its SMTP server, its SMS / WhatsApp provider, the
organization's enabled webhook endpoint). Each delivery is recorded as an attempt. A temporary failure retries the
same channel after a backoff; a permanent one (a hard bounce, a 4xx from the provider or the receiver, no provider)
marks the channel failed for this notification and asks the policy again, within the same rules (consent, quiet
hours, caps), for the next channel of the customer's order: the same row goes on there, or ends ``dead`` when no
channel is left.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from momentos.config import Settings
from momentos.db import unit_of_work
from momentos.errors import MomentosError
from momentos.kit.clock import utcnow
from momentos.models import Customer, Notification, WebhookEndpoint
from momentos.notify import attempts, mailbox, status_tokens
from momentos.notify.channels import DeliveryError, Message
from momentos.notify.delivery import Delivered, Deliverer, Job, Results, deliver_batch
from momentos.notify.endpoints import signing_secrets
from momentos.notify.render import BUDGET_KEY, render_notification, render_packaged
from momentos.notify.settings import NotifySettings
from momentos.notify.sms import SmsProvider
from momentos.notify.template_sandbox import TemplateBudget
from momentos.notify.triggers import status_params
from momentos.policy import service as policy
from momentos.policy.engine import Decision
from momentos.worker import loop
from momentos.worker.jobs import Context

log = logging.getLogger("momentos.notify")
STAFF_ALERT = "staff_alert"
"""Purpose of alerts to the organization's staff (promises, early warning): not a customer contact, so no
consent, caps or quiet hours apply and they never count against a customer's."""


def claim(session: Session, owner: str, settings: NotifySettings, now: datetime,
          in_flight: Collection[int] = ()) -> list[Notification]:
    """Lease up to ``batch_size`` due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serializes writers). ``in_flight``: rows this worker is delivering right now, never claimed again by
    it even if their lease has run out meanwhile (one of them may be on the wire)."""
    due = or_((Notification.status == "pending") & (Notification.next_attempt_at <= now),
              (Notification.status == "claimed") & (Notification.lease_until < now))
    if in_flight:
        due = due & Notification.id.not_in(list(in_flight))
    ids = list(session.scalars(select(Notification.id).where(due).order_by(Notification.next_attempt_at)
                               .limit(settings.batch_size).with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(update(Notification).where(Notification.id.in_(ids)).values(
        status="claimed", lease_owner=owner, lease_until=now + timedelta(seconds=settings.lease_seconds),
        attempts=Notification.attempts + 1), execution_options={"synchronize_session": False})
    return list(session.scalars(select(Notification).where(Notification.id.in_(ids))
                                .order_by(Notification.id).execution_options(populate_existing=True)))


def _absolute(params: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Links kept relative on the row (``status_url``, ``survey_url``…) get the public URL."""
    return {k: public_url.rstrip("/") + v if k.endswith("_url") and isinstance(v, str) and v.startswith("/") else v
            for k, v in params.items()}


def _endpoint(session: Session, org_id: int) -> WebhookEndpoint | None:
    cache: dict[int, WebhookEndpoint | None] = session.info.get("notify.endpoints", {})
    if org_id not in cache:
        cache[org_id] = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id,
                                                                     WebhookEndpoint.active.is_(True))
                                       .order_by(WebhookEndpoint.id).limit(1))
    return cache[org_id]


def _message(session: Session, n: Notification, channel: str, lang: str, public_url: str) -> Message:
    params = _absolute(n.params, public_url)
    if n.template == "message":  # the caller's own subject and text
        rendered = render_packaged("message", lang, params)
    else:
        rendered = render_notification(session, n.org_id, n.template, n.moment, channel, lang, params)
    return Message(n.delivery_id, rendered.subject, rendered.text, lang, rendered.html)


def _job(session: Session, n: Notification, customer: Customer, channel: str, now: datetime,
         public_url: str) -> Job | None:
    lang = customer.language or "es"
    message = _message(session, n, channel, lang, public_url)
    if channel == "email" and customer.email:
        return Job(n.id, channel, customer.email, message)
    if channel in ("sms", "whatsapp") and customer.phone:
        return Job(n.id, channel, customer.phone, message)
    if channel == "webhook":
        endpoint = _endpoint(session, n.org_id)
        if endpoint is not None:
            body = json.dumps({"type": f"notification.{n.purpose}", "id": n.delivery_id,
                               "data": {"customer": customer.external_id, "process_id": n.process_id,
                                        "moment": n.moment, "purpose": n.purpose, "language": lang,
                                        "subject": message.subject, "text": message.text}},
                              separators=(",", ":")).encode()
            return Job(n.id, channel, endpoint.url, message, signing_secrets(endpoint, now), body)
    return None


def _fill_status_params(session: Session, rows: list[Notification], now: datetime) -> None:
    """Notices queued in bulk (by ingestion, the promise clock) get their link and names now, once (kept for
    retries and replays); the status tokens of the batch are read and created together."""
    todo = [n for n in rows if "status_url" not in n.params and n.process_id]
    tokens = status_tokens.ensure_tokens(session, {n.process_id: n.org_id for n in todo if n.process_id}, now)
    for n in todo:
        assert n.process_id is not None
        if n.service_id is None or n.customer_id is None:
            n.params = {**n.params, "status_url": f"/s/{tokens[n.process_id]}"}
            continue
        n.params = {**status_params(session, n.org_id, n.service_id, n.customer_id, n.process_id, n.moment,
                                    n.created_at, "", token=tokens[n.process_id]), **n.params}


def _staff_job(session: Session, n: Notification, now: datetime, public_url: str) -> Job | None:
    """A staff alert goes to the address in its parameters (or the organization's webhook), in the language its
    parameters name."""
    lang = str(n.params.get("language") or "es")
    if n.params.get("staff_email"):
        return Job(n.id, "email", str(n.params["staff_email"]), _message(session, n, "email", lang, public_url))
    endpoint = _endpoint(session, n.org_id) if n.params.get("staff_webhook") else None
    if endpoint is None:
        return None
    message = _message(session, n, "webhook", lang, public_url)
    body = json.dumps({"type": "notification.staff_alert", "id": n.delivery_id,
                       "data": {"process_id": n.process_id, "moment": n.moment, "purpose": n.purpose,
                                "promise": n.params.get("promise_key"), "language": lang,
                                "subject": message.subject, "text": message.text}},
                      separators=(",", ":")).encode()
    return Job(n.id, "webhook", endpoint.url, message, signing_secrets(endpoint, now), body)


def _staff_jobs(session: Session, rows: list[Notification], now: datetime, public_url: str) -> list[Job]:
    jobs = []
    for n in rows:
        try:
            job = _staff_job(session, n, now, public_url)
        except (MomentosError, TemplateError) as exc:
            n.status, n.last_error, n.lease_owner, n.lease_until = "dead", f"template: {exc}"[:2000], None, None
            continue
        if job is None:  # nowhere to send it
            _park(n, Decision("suppress"))
            continue
        n.channel = job.channel
        jobs.append(job)
    return jobs


def _expires_before(n: Notification, until: datetime) -> bool:
    """A notification that carries an expiry (a survey invitation) is dropped rather than deferred past it."""
    expires = n.params.get("expires_at") if isinstance(n.params, dict) else None
    if not isinstance(expires, str):
        return False
    try:
        return datetime.fromisoformat(expires) < until
    except ValueError:
        return False


def _park(n: Notification, decision: Decision) -> None:
    """Not sent now: back to the queue until the deferral ends (queued again: it no longer counts against caps
    from the time it was allowed at, but from when it is due), or suppressed (with the decision's reasons)."""
    if decision.outcome == "defer" and decision.until is not None and not _expires_before(n, decision.until):
        n.status, n.next_attempt_at, n.attempts = "pending", decision.until, max(0, n.attempts - 1)
        n.counted_at = None
    else:
        n.status = "suppressed"
    n.lease_owner = n.lease_until = None


def prepare(session: Session, claimed: list[Notification], now: datetime, public_url: str = "",
            channels: frozenset[str] | None = None) -> list[Job]:
    """Re-check the policy now for a claimed batch (consent may have been revoked since the rows were queued),
    with the facts read once for the whole batch, and build the jobs of the rows allowed to go. Staff alerts
    skip the customer policy. ``channels``: what the worker can deliver on (the webhook: per organization)."""
    # every customer of the batch is locked (in id order) before any row is touched, staff alerts' included:
    # updating a row claimed in this transaction re-checks its customer key, which must not wait on a peer
    batch = policy.PolicyBatch(session, {n.org_id for n in claimed},
                               {n.customer_id for n in claimed if n.customer_id is not None}, now, lock=True,
                               channels=channels)
    staff = [n for n in claimed if n.purpose == STAFF_ALERT or n.customer_id is None]
    _fill_status_params(session, staff, now)
    staff_jobs = _staff_jobs(session, staff, now, public_url)
    claimed = [n for n in claimed if n not in staff]
    allowed: list[tuple[Notification, str]] = []
    for n in claimed:
        assert n.customer_id is not None  # rows without one are staff alerts
        ask = policy.ContactAsk(n.customer_id, n.purpose, n.priority, n.proactive, n.service_id, n.moment)
        decision = batch.evaluate(n.org_id, ask, n.id, failed=n.failed_channels or {})
        if decision.outcome == "send" and decision.channel:
            batch.count(n.customer_id, n.id, decision.channel, n.purpose)
            allowed.append((n, decision.channel))
        else:
            _park(n, decision)
    batch.record()
    _fill_status_params(session, [n for n, _ in allowed], now)
    jobs = []
    for n, channel in allowed:
        assert n.customer_id is not None
        try:
            job = _job(session, n, batch.customers[n.customer_id], channel, now, public_url)
        except (MomentosError, TemplateError) as exc:  # e.g. an unknown template: this row only, not the batch
            n.status, n.last_error, n.lease_owner, n.lease_until = "dead", f"template: {exc}"[:2000], None, None
            continue
        if job is None:
            _park(n, Decision("suppress"))
            continue
        n.channel, n.counted_at = channel, n.counted_at or now
        jobs.append(job)
    return staff_jobs + jobs


def claim_jobs(factory: sessionmaker[Session], owner: str, settings: NotifySettings,
               channels: frozenset[str] | None = None, in_flight: Collection[int] = ()) -> tuple[int, list[Job]]:
    """One short transaction: lease a batch and decide on each row (the decisions are recorded).
    Returns how many rows were claimed and the jobs to deliver. ``channels``: what the worker can deliver on
    (default: what ``settings`` configure); ``in_flight``: the rows of the batch being delivered meanwhile."""
    now = utcnow()
    with unit_of_work(factory) as session:
        # organization facts, endpoints, templates and journey models: once per batch
        session.info.update({"policy.org_facts": {}, "notify.endpoints": {}, "notify.templates": {},
                             "notify.models": {}, "notify.rows": {}, BUDGET_KEY: TemplateBudget.of(settings)})
        claimed = claim(session, owner, settings, now, in_flight)
        if not claimed:
            return 0, []
        return len(claimed), prepare(session, claimed, now, settings.public_url,
                                     settings.channels if channels is None else channels)


def backoff(attempts: int, settings: NotifySettings) -> float:
    """Exponential backoff with full jitter around the nominal delay (0.5×–1.5×), capped."""
    nominal = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2.0 ** max(0, attempts - 1))
    return nominal * random.uniform(0.5, 1.5)


def _switch(batch: policy.PolicyBatch, n: Notification, error: DeliveryError, channel: str,
            now: datetime) -> tuple[str, str | None]:
    """After a permanent failure on ``channel``: the policy decides again without it (stage ``fallback``, with
    the same rules) and the row goes on with the next channel, waits for a deferral, or ends ``dead`` when no
    channel is left. Returns the attempt's outcome and the next channel."""
    assert n.customer_id is not None
    n.failed_channels = {**(n.failed_channels or {}), channel: error.failure or "rejected"}
    ask = policy.ContactAsk(n.customer_id, n.purpose, n.priority, n.proactive, n.service_id, n.moment)
    decision = batch.evaluate(n.org_id, ask, n.id, failed=n.failed_channels, stage="fallback")
    if decision.outcome == "send" and decision.channel:
        n.status, n.channel, n.next_attempt_at, n.attempts = "pending", decision.channel, now, 0
        return "switched", decision.channel
    if decision.outcome == "defer":
        _park(n, decision)
        n.attempts, n.counted_at = 0, None  # counted again when the next channel is allowed
        if n.status == "pending":
            n.channel = decision.channel or n.channel
            return "switched", decision.channel
    n.status = "dead"
    return "permanent_failure", None


def _retry_or_dead(n: Notification, settings: NotifySettings, now: datetime) -> None:
    """A temporary failure: the same channel again after a backoff, until ``max_attempts``."""
    if n.attempts >= settings.max_attempts:
        n.status = "dead"
    else:
        n.status, n.next_attempt_at = "pending", now + timedelta(seconds=backoff(n.attempts, settings))


def finish(factory: sessionmaker[Session], results: Sequence[Delivered], owner: str, settings: NotifySettings,
           channels: frozenset[str] | None = None) -> None:
    """Record the outcomes of a batch (an attempt each), for the rows this worker still holds the lease on; a
    permanent failure of a customer's notification re-decides its channel (``channels``: what the worker can
    deliver on; default: what ``settings`` configure)."""
    now = utcnow()
    with unit_of_work(factory) as session:
        session.info.update({"policy.org_facts": {}})
        rows = {n.id: n for n in session.scalars(select(Notification).where(
            Notification.id.in_([r.job.notification_id for r in results])))}
        # rows whose lease was lost are left alone: whoever holds it now delivers (with the same id) and records
        held = [(r, rows[r.job.notification_id]) for r in results if r.job.notification_id in rows
                and rows[r.job.notification_id].lease_owner == owner
                and rows[r.job.notification_id].status == "claimed"]
        redecide = {n.id: n for r, n in held if r.error is not None and r.error.permanent
                    and n.customer_id is not None and n.purpose != STAFF_ALERT}
        batch = None if not redecide else policy.PolicyBatch(
            session, {n.org_id for n in redecide.values()}, {n.customer_id for n in redecide.values()
                                                             if n.customer_id is not None},
            now, lock=True, channels=settings.channels if channels is None else channels)
        numbers = attempts.next_numbers(session, [n.id for _, n in held])
        log_rows = []
        for r, n in held:
            n.lease_owner = n.lease_until = None
            outcome, next_channel = "sent", None
            if r.error is None:
                n.status, n.sent_at, n.last_error = "sent", now, None
                if settings.local_mailbox:
                    mailbox.store(session, n, r.job, r.ended_at)
            elif r.error.permanent:
                n.last_error = str(r.error)[:2000]
                if batch is not None and n.id in redecide:
                    outcome, next_channel = _switch(batch, n, r.error, r.job.channel, now)
                else:  # a staff alert: no customer policy to ask for another channel
                    outcome, n.status = "permanent_failure", "dead"
            else:
                outcome, n.last_error = "temporary_failure", str(r.error)[:2000]
                _retry_or_dead(n, settings, now)
            log_rows.append({"org_id": n.org_id, "notification_id": n.id, "number": numbers[n.id],
                             "channel": r.job.channel, "started_at": r.started_at, "ended_at": r.ended_at,
                             "outcome": outcome, "error": n.last_error if r.error is not None else None,
                             "reason": r.error.failure if r.error is not None else None,
                             "next_channel": next_channel})
        if batch is not None:
            batch.record()
        attempts.add(session, log_rows)


def _counts(results: Results) -> tuple[int, int]:
    """(deliveries made, attempts that failed) of a delivered batch."""
    sent = sum(r.error is None for r in results)
    return sent, len(results) - sent


class DeliverJob:
    """The worker's job ``notify.deliver``: each round claims and decides the next batch while the previous one is
    delivered by one delivery thread, so the receivers rather than our claiming set the pace. The delivery thread
    records each message's outcome in a transaction of its own right after sending it (``finish``, under the lease
    rules above), so a worker killed at any point leaves at most the message in flight to be delivered again. The
    claims and the records of one worker take turns on the database (one lock), never overlapping. Opened by the
    loop (channel clients, the thread) and closed after its last round, once the batch in flight is done."""

    name = "notify.deliver"

    def __init__(self, settings: NotifySettings, sms: SmsProvider | None = None) -> None:
        self.settings = settings
        self.sms = sms
        self.sent = 0
        """Deliveries made since it was opened."""
        self._context: Context | None = None
        self._factory: sessionmaker[Session] | None = None
        self._deliverer: Deliverer | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: Future[Results] | None = None
        self._in_flight: frozenset[int] = frozenset()
        """The rows of the batch being delivered: a claim made meanwhile leaves them alone, even once their lease
        has run out (the batch outlasted it), so this worker never sends a message twice at once."""
        self._turn = threading.Lock()
        """Held by a claim (main thread) or a record (delivery thread): the two never use the database at once."""

    @classmethod
    def of(cls, settings: Settings) -> DeliverJob:
        """The job of the app's settings (``settings.notify``; links get the app's public URL unless it names
        one of its own)."""
        notify = settings.notify
        if not notify.public_url:
            notify = notify.model_copy(update={"public_url": settings.public_url})
        return cls(notify)

    def open(self, context: Context) -> None:
        self._context, self.sent = context, 0
        self._deliverer = Deliverer(self.settings, self.sms)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify-deliver")

    def run(self, factory: sessionmaker[Session], now: datetime) -> int:
        """Claim and decide the next batch, wait for the one delivered meanwhile (each of its messages recorded as
        it went) and hand the new one to the delivery thread. Returns the rows claimed plus the attempts recorded
        (0: nothing due, nothing in flight)."""
        del now  # each transaction reads the clock itself (delivery takes time)
        assert self._context is not None and self._deliverer is not None and self._pool is not None, "not opened"
        self._factory = factory
        lease_ends = time.monotonic() + self.settings.lease_seconds
        inflight, self._inflight = self._inflight, None
        in_flight, self._in_flight = self._in_flight, frozenset()
        try:
            with self._turn:
                claimed, jobs = claim_jobs(factory, self._context.owner, self.settings, self._deliverer.channels,
                                           in_flight)
        finally:  # the batch in flight is counted even when claiming failed
            recorded = self._done(inflight) if inflight is not None else 0
        if jobs:
            record = functools.partial(self._record_one, factory, self._deliverer.channels)
            self._inflight = self._pool.submit(deliver_batch, self._deliverer, jobs, lease_ends, record)
            self._in_flight = frozenset(j.notification_id for j in jobs)
        return claimed + recorded

    def close(self) -> None:
        """Stopping: let the batch in flight finish (each message is recorded as it goes)."""
        try:
            if self._inflight is not None:
                try:
                    self._done(self._inflight)
                except Exception:
                    log.exception("the last batch failed; its unrecorded rows are delivered again after the lease")
        finally:
            self._inflight = None
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            if self._deliverer is not None:
                self._deliverer.close()
            self._pool = self._deliverer = None

    def _record_one(self, factory: sessionmaker[Session], channels: frozenset[str], delivered: Delivered) -> None:
        """The delivery thread's recorder: one message's outcome, committed before the next message goes."""
        assert self._context is not None
        with self._turn:
            finish(factory, [delivered], self._context.owner, self.settings, channels)

    def _done(self, inflight: Future[Results]) -> int:
        """Wait for a delivered batch and count it (it is recorded already)."""
        assert self._context is not None
        sent, failed = _counts(inflight.result())
        self.sent += sent
        self._context.delivered(sent, failed)
        return sent + failed


def run(factory: sessionmaker[Session], settings: NotifySettings, owner: str, *, once: bool = False,
        idle_exit: float | None = None, sms: SmsProvider | None = None, stop: threading.Event | None = None) -> int:
    """Deliver notifications only (no other job, no heartbeat) until stopped or, with ``once``, until nothing is
    due: the worker's loop with ``notify.deliver`` alone. Returns deliveries made."""
    job = DeliverJob(settings, sms)
    loop.run(factory, [job], owner, poll_seconds=settings.poll_seconds, once=once, idle_exit=idle_exit, stop=stop)
    return job.sent
