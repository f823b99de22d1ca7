"""The delivery job runner (``notify.deliver``): claims due notifications with a lease, re-checks the policy,
delivers, and ends each in ``sent`` or ``dead`` (retrying with exponential backoff and jitter in between).

It owns its transactions: a short one to claim, one to decide, none while talking to the receiver, one to
record the result — and only while it still holds the lease. A worker killed at any point leaves rows that
another worker claims once the lease expires; the delivery id is the same on every attempt, so receivers see
each effect once by id.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from momentos import jobs as background_jobs
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Customer, Notification, WebhookEndpoint
from momentos.notify import smtp, webhook
from momentos.notify.channels import DeliveryError, Message
from momentos.notify.render import render
from momentos.notify.settings import NotifySettings
from momentos.notify.sms import SmsProvider, provider_from
from momentos.notify.triggers import status_params
from momentos.policy import service as policy

log = logging.getLogger("momentos.notify")


@dataclass(frozen=True)
class Job:
    notification_id: int
    channel: str
    address: str
    message: Message
    secrets: tuple[str, ...] = ()
    body: bytes = b""


def claim(session: Session, owner: str, settings: NotifySettings, now: datetime) -> list[Notification]:
    """Lease up to ``batch_size`` due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serializes writers)."""
    due = or_((Notification.status == "pending") & (Notification.next_attempt_at <= now),
              (Notification.status == "claimed") & (Notification.lease_until < now))
    ids = list(session.scalars(select(Notification.id).where(due).order_by(Notification.next_attempt_at)
                               .limit(settings.batch_size).with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(update(Notification).where(Notification.id.in_(ids)).values(
        status="claimed", lease_owner=owner, lease_until=now + timedelta(seconds=settings.lease_seconds),
        attempts=Notification.attempts + 1), execution_options={"synchronize_session": False})
    return list(session.scalars(select(Notification).where(Notification.id.in_(ids))
                                .order_by(Notification.id).execution_options(populate_existing=True)))


def _localized(params: dict[str, Any], lang: str, public_url: str) -> dict[str, Any]:
    out = {k: (v.get(lang) or next(iter(v.values()), "")) if isinstance(v, dict) else v for k, v in params.items()}
    for key, value in out.items():  # links kept relative on the row (status_url, survey_url) get the public URL
        if key.endswith("_url") and isinstance(value, str) and value.startswith("/"):
            out[key] = public_url.rstrip("/") + value
    return out


def _endpoint(session: Session, org_id: int) -> WebhookEndpoint | None:
    cache: dict[int, WebhookEndpoint | None] = session.info.get("notify.endpoints", {})
    if org_id not in cache:
        cache[org_id] = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id,
                                                                     WebhookEndpoint.active.is_(True)).limit(1))
    return cache[org_id]


def _job(session: Session, n: Notification, channel: str, public_url: str) -> Job | None:
    if n.template == "status" and "status_url" not in n.params and n.process_id and n.service_id:
        # queued in bulk by ingestion: the link and names are fixed now, once, and kept for retries and replays
        n.params = status_params(session, n.org_id, n.service_id, n.customer_id, n.process_id, n.moment,
                                 n.created_at, "")
    customer = session.get_one(Customer, n.customer_id)
    lang = customer.language or "es"
    subject, text = render(n.template, lang, _localized(n.params, lang, public_url))
    message = Message(n.delivery_id, subject, text, lang)
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
                                        "subject": subject, "text": text}}, separators=(",", ":")).encode()
            return Job(n.id, channel, endpoint.url, message, tuple(endpoint.secrets), body)
    return None


def prepare(session: Session, n: Notification, now: datetime, public_url: str = "") -> Job | None:
    """Re-check the policy now (consent may have been revoked since the row was queued) and build the job."""
    ask = policy.ContactAsk(n.customer_id, n.purpose, n.priority, n.proactive, n.service_id, n.moment)
    decision = policy.evaluate(session, n.org_id, ask, now, stage="send", notification_id=n.id)
    if decision.outcome == "send" and decision.channel:
        job = _job(session, n, decision.channel, public_url)
        if job is not None:
            n.channel, n.counted_at = decision.channel, n.counted_at or now
            return job
    if decision.outcome == "defer" and decision.until is not None and not _expires_before(n, decision.until):
        n.status, n.next_attempt_at, n.attempts = "pending", decision.until, max(0, n.attempts - 1)
    else:
        n.status = "suppressed"
    n.lease_owner = n.lease_until = None
    return None


def _expires_before(n: Notification, until: datetime) -> bool:
    """A notification that carries an expiry (a survey invitation) is dropped rather than deferred past it."""
    expires = n.params.get("expires_at") if isinstance(n.params, dict) else None
    if not isinstance(expires, str):
        return False
    try:
        return datetime.fromisoformat(expires) < until
    except ValueError:
        return False


def claim_jobs(factory: sessionmaker[Session], owner: str, settings: NotifySettings) -> tuple[int, list[Job]]:
    """One short transaction: lease a batch and decide on each row (the decisions are recorded).
    Returns how many rows were claimed and the jobs to deliver."""
    now = utcnow()
    with unit_of_work(factory) as session:
        session.info.update({"policy.org_facts": {}, "notify.endpoints": {}})  # organization facts, once per batch
        claimed = claim(session, owner, settings, now)
        jobs = [prepare(session, n, now, settings.public_url) for n in claimed]
        return len(claimed), [job for job in jobs if job is not None]


class Deliverer:
    """The worker's channel clients, kept across deliveries: one SMTP connection, one HTTP client."""

    def __init__(self, settings: NotifySettings, sms: SmsProvider | None = None) -> None:
        self.settings = settings
        self.sms = sms if sms is not None else provider_from(settings)
        self.mailer = smtp.Mailer(settings)
        self.http = httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False, trust_env=False)

    def deliver(self, job: Job) -> None:
        if job.channel == "email":
            self.mailer.send(job.address, job.message)
        elif job.channel == "webhook":
            webhook.post(self.http, job.address, job.secrets, job.message.delivery_id, int(time.time()), job.body,
                         allow=self.settings.webhook_allow)
        elif self.sms is not None:
            self.sms.send(job.channel, job.address, job.message)
        else:
            raise DeliveryError(f"no provider configured for {job.channel}", permanent=True)

    def close(self) -> None:
        self.mailer.close()
        self.http.close()


def backoff(attempts: int, settings: NotifySettings) -> float:
    """Exponential backoff with full jitter around the nominal delay (0.5×–1.5×), capped."""
    nominal = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2.0 ** max(0, attempts - 1))
    return nominal * random.uniform(0.5, 1.5)


def finish(factory: sessionmaker[Session], results: list[tuple[Job, DeliveryError | None]], owner: str,
           settings: NotifySettings) -> None:
    """Record the outcomes of a batch, for the rows this worker still holds the lease on."""
    now = utcnow()
    with unit_of_work(factory) as session:
        rows = {n.id: n for n in session.scalars(select(Notification).where(
            Notification.id.in_([job.notification_id for job, _ in results])))}
        for job, error in results:
            n = rows.get(job.notification_id)
            if n is None or n.lease_owner != owner or n.status != "claimed":
                continue  # the lease was lost: whoever holds it now delivers (with the same id) and records
            n.lease_owner = n.lease_until = None
            if error is None:
                n.status, n.sent_at, n.last_error = "sent", now, None
            elif error.permanent or n.attempts >= settings.max_attempts:
                n.status, n.last_error = "dead", str(error)[:2000]
            else:
                n.status, n.last_error = "pending", str(error)[:2000]
                n.next_attempt_at = now + timedelta(seconds=backoff(n.attempts, settings))


def deliver_batch(deliverer: Deliverer, jobs: list[Job], lease_ends: float) -> list[tuple[Job, DeliveryError | None]]:
    """Deliver in order while the lease surely holds (``lease_ends``: a ``time.monotonic()`` value); the rest stay
    claimed and are picked up again when the lease expires. The first job is always tried."""
    results: list[tuple[Job, DeliveryError | None]] = []
    for job in jobs:
        if results and time.monotonic() + deliverer.settings.timeout_seconds >= lease_ends:
            break
        try:
            deliverer.deliver(job)
        except DeliveryError as exc:
            log.warning("delivery %s failed: %s", job.message.delivery_id, exc)
            results.append((job, exc))
        else:
            results.append((job, None))
    return results


def run(factory: sessionmaker[Session], settings: NotifySettings, owner: str, *, once: bool = False,
        idle_exit: float | None = None, sms: SmsProvider | None = None) -> int:
    """Claim and deliver until stopped (or, with ``once``, until nothing is due). Returns deliveries made."""
    deliverer = Deliverer(settings, sms)
    background = background_jobs.registered()
    sent, idle_since = 0, time.monotonic()
    try:
        while True:
            lease_ends = time.monotonic() + settings.lease_seconds
            claimed, jobs = claim_jobs(factory, owner, settings)
            if jobs:
                results = deliver_batch(deliverer, jobs, lease_ends)
                if results:
                    finish(factory, results, owner, settings)
                sent += sum(error is None for _, error in results)
            claimed += background_jobs.run_jobs(factory, background)
            if claimed:
                idle_since = time.monotonic()
                continue
            if once or (idle_exit is not None and time.monotonic() - idle_since >= idle_exit):
                return sent
            time.sleep(settings.poll_seconds)
    finally:
        deliverer.close()
