"""The local mailbox: with ``MOMENTOS_NOTIFY__LOCAL_MAILBOX`` on, the worker delivers every message here instead of
to real providers (the ``Deliverer`` sends nothing; recording a delivered message stores it, in the same
transaction as its attempt). Staff read it on ``/ops/mailbox``: each message as its receiver would see it. Never
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.models import Customer, MailboxMessage, Notification
from momentos.notify.delivery import Job

PAGE_SIZE = 20
CHANNELS = ("email", "sms", "whatsapp", "webhook")
"""What a mailbox message may have come by (the filter of the page)."""


def store(session: Session, n: Notification, job: Job, at: datetime) -> MailboxMessage:
    """Keep a delivered message: e-mail with its HTML alternative, a webhook as the JSON it would have posted."""
    text = job.body.decode() if job.channel == "webhook" and job.body else job.message.text
    row = MailboxMessage(org_id=n.org_id, notification_id=n.id, customer_id=n.customer_id, channel=job.channel,
                         address=job.address, purpose=n.purpose, language=job.message.language,
                         subject=job.message.subject, text=text,
                         html=job.message.html if job.channel == "email" else None, delivered_at=at)
    session.add(row)
    return row


@dataclass(frozen=True)
class Item:
    message: MailboxMessage
    customer_external_id: str | None


@dataclass(frozen=True)
class Page:
    items: list[Item]
    page: int
    pages: int
    total: int


def page_of(session: Session, org_id: int, page: int = 1, channel: str | None = None) -> Page:
    """One page of an organization's mailbox, newest first (``channel``: only that channel's messages)."""
    where = [MailboxMessage.org_id == org_id]
    if channel:
        where.append(MailboxMessage.channel == channel)
    total = int(session.scalar(select(func.count()).select_from(MailboxMessage).where(*where)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(select(MailboxMessage, Customer.external_id)
                           .outerjoin(Customer, Customer.id == MailboxMessage.customer_id).where(*where)
                           .order_by(MailboxMessage.delivered_at.desc(), MailboxMessage.id.desc())
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return Page([Item(m, external_id) for m, external_id in rows], page, pages, total)


def count(session: Session, org_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(MailboxMessage)
                              .where(MailboxMessage.org_id == org_id)) or 0)
