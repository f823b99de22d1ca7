"""What happens in the demo as it starts: a few events of today, ingested after the history and the survey, so the
worker has something to deliver in its first minute — a screening that invites its customer to the survey, a
booking left unconfirmed past its 30 minutes (the promise clock breaks it: a recovery message to the customer and
an alert to the restaurant's staff), and the status notices of the moments these processes enter. These customers
agreed to surveys that morning."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from momentos.customers.schemas import ConsentIn, IdentifyIn
from momentos.events.schemas import Batch, EventIn

LIVE_CUSTOMERS = ("cus-00001", "cus-00002", "cus-00003")
"""Whose processes move today (the first demo customers always exist)."""


def _event(customer: str, service: str, process: str, activity: str, at: datetime) -> EventIn:
    return EventIn(message_id=f"demo-live-{process}-{activity}", customer=customer, timestamp=at, activity=activity,
                   service=service, process=process)


def run_tag(now: datetime) -> str:
    """What tells one start of the demo's live events from another (its minute): a later start of the demo gets
    new processes that move again, a repeat within the same minute stores nothing twice."""
    return now.strftime("%Y%m%d%H%M")


def live_batch(now: datetime, customers: Sequence[str] = LIVE_CUSTOMERS, *, tag: str = "") -> Batch:
    """Today's batch: these customers agree to be asked for their opinion (by e-mail, SMS or WhatsApp: the survey
    needs consent), then their events. ``tag`` (``run_tag``) names the processes of a later start of the demo."""
    consents = [ConsentIn(channel=channel, purpose="survey", granted=True) for channel in ("email", "sms", "whatsapp")]
    suffix = f"-{tag}" if tag else ""
    identifies = [IdentifyIn(customer=who, timestamp=now - timedelta(hours=4),
                             message_id=f"demo-live-consent-{who}{suffix}", consents=consents) for who in customers]
    return Batch(identifies=identifies, events=live_events(now, customers, tag=tag))


def live_events(now: datetime, customers: Sequence[str] = LIVE_CUSTOMERS, *, tag: str = "") -> list[EventIn]:
    """Today's events, in time order: per customer, a booking not confirmed (it was due 5 minutes ago) and a
    screening that has just ended."""
    events: list[EventIn] = []
    suffix = f"-{tag}" if tag else ""
    for i, who in enumerate(customers):
        cinema, table = f"live-cine-{i + 1}{suffix}", f"live-mesa-{i + 1}{suffix}"
        events += [_event(who, "cines-aurora", cinema, "ticket_purchased", now - timedelta(hours=3)),
                   _event(who, "cines-aurora", cinema, "ticket_scanned", now - timedelta(hours=2, minutes=50)),
                   _event(who, "casa-lola", table, "booking_made", now - timedelta(minutes=35)),
                   _event(who, "cines-aurora", cinema, "screening_attended", now - timedelta(minutes=2))]
    return sorted(events, key=lambda e: e.timestamp)
