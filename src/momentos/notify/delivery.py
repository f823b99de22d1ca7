"""Talking to the receivers: the worker's channel clients (``Deliverer``), the jobs a claimed batch becomes and
``deliver_batch``, which delivers them in order and hands each outcome to a recorder at once — before the next
message goes — so a worker killed at any point has at most the message in flight left unrecorded (delivered again
after the lease, under the same id). Nothing here opens a transaction: the recorder does (``notify.tasks``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from momentos.kit.clock import utcnow
from momentos.notify import smtp, webhook
from momentos.notify.channels import DeliveryError, Message
from momentos.notify.settings import NotifySettings
from momentos.notify.sms import SmsProvider, provider_from
from momentos.notify.ssrf import UnsafeUrl

log = logging.getLogger("momentos.notify")


@dataclass(frozen=True)
class Job:
    notification_id: int
    channel: str
    address: str
    message: Message
    secrets: tuple[str, ...] = ()
    body: bytes = b""


class Deliverer:
    """The worker's channel clients, kept across deliveries: one SMTP connection, one HTTP client."""

    def __init__(self, settings: NotifySettings, sms: SmsProvider | None = None) -> None:
        self.settings = settings
        self.local = settings.local_mailbox
        """Everything goes to the local mailbox: nothing leaves the machine (the recorder stores the message,
        ``notify.mailbox``)."""
        self.sms = sms if sms is not None else provider_from(settings)
        self.mailer = smtp.Mailer(settings)
        self.http = httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False, trust_env=False)
        phones = frozenset(settings.sms_channels) if self.sms is not None or self.local else frozenset()
        self.channels: frozenset[str] = (settings.channels - {"sms", "whatsapp"}) | phones
        """What this worker delivers on (the webhook is added per organization, with an enabled endpoint)."""

    def deliver(self, job: Job) -> None:
        if self.local:
            if job.channel != "webhook" and job.channel not in self.channels:
                raise DeliveryError(f"no provider configured for {job.channel}", permanent=True,
                                    failure="no_provider")
            return
        if job.channel == "webhook":
            try:
                webhook.post(self.http, job.address, job.secrets, job.message.delivery_id, int(time.time()),
                             job.body, allow=self.settings.webhook_allow)
            except UnsafeUrl as exc:  # checked again at send time: the host may resolve elsewhere by now
                raise DeliveryError(f"webhook: {exc.message}", permanent=True, failure="unsafe_url") from exc
        elif job.channel not in self.channels:
            raise DeliveryError(f"no provider configured for {job.channel}", permanent=True, failure="no_provider")
        elif job.channel == "email":
            self.mailer.send(job.address, job.message)
        elif self.sms is not None:
            self.sms.send(job.channel, job.address, job.message)

    def close(self) -> None:
        self.mailer.close()
        self.http.close()


@dataclass(frozen=True)
class Delivered:
    """One delivery attempt of a job: its error (None: delivered) and when it started and ended. Unpacks as
    ``(job, error)``."""

    job: Job
    error: DeliveryError | None
    started_at: datetime
    ended_at: datetime

    def __iter__(self) -> Iterator[Any]:
        return iter((self.job, self.error))


Results = list[Delivered]
Recorder = Callable[[Delivered], None]
"""Stores one outcome in a transaction of its own (committed when it returns); raises if it could not."""


def deliver_batch(deliverer: Deliverer, jobs: list[Job], lease_ends: float, record: Recorder | None = None) -> Results:
    """Deliver in order while the lease surely holds (``lease_ends``: a ``time.monotonic()`` value); the rest stay
    claimed and are picked up again when the lease expires. The first job is always tried.

    With ``record``, each outcome is recorded right after its delivery, before the next one starts; if recording
    fails the batch stops there (that message and the rest go again after the lease, under the same id). Returns
    the outcomes recorded (all of them without ``record``)."""
    results: Results = []
    for job in jobs:
        if results and time.monotonic() + deliverer.settings.timeout_seconds >= lease_ends:
            break
        started = utcnow()
        try:
            deliverer.deliver(job)
        except DeliveryError as exc:
            log.warning("delivery %s failed: %s", job.message.delivery_id, exc)
            outcome = Delivered(job, exc, started, utcnow())
        else:
            outcome = Delivered(job, None, started, utcnow())
        if record is not None:
            try:
                record(outcome)
            except Exception:
                log.exception("could not record delivery %s; it goes again after the lease (same id)",
                              job.message.delivery_id)
                break
        results.append(outcome)
    return results
