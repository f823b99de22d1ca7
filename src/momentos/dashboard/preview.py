""""What would happen": the contact policy's decision for a sample customer, now, without recording it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.customers import service as customers
from momentos.models import ContactRule
from momentos.policy import service as policy
from momentos.policy.engine import Decision, decide


@dataclass(frozen=True)
class Preview:
    customer: str
    purpose: str
    moment: str | None
    decision: Decision


def preview(session: Session, org_id: int, service_id: int, customer_external_id: str, purpose: str,
            moment: str | None, now: datetime, channels: frozenset[str] | None = None) -> Preview:
    """Raises NotFound for a customer of another organization (or none). ``channels``: what the delivery settings
    can deliver on (``NotifySettings.channels``)."""
    customer = customers.get_customer(session, org_id, customer_external_id)
    ask = policy.ContactAsk(customer.id, purpose, "normal", True, service_id, moment or None)
    facts = policy.facts_for(session, org_id, customer, ask, now, channels=channels)
    return Preview(customer.external_id, purpose, moment, decide(facts, policy.rules_for(session, org_id, ask), now))


def stored_rules(session: Session, org_id: int, scope: str) -> dict[str, Any]:
    """One layer of contact rules as stored (empty when the layer sets nothing)."""
    rules = session.scalar(select(ContactRule.rules).where(ContactRule.org_id == org_id, ContactRule.scope == scope))
    return dict(rules or {})
