"""A customer's current consent as a channel × purpose grid, read the way the contact policy reads it
(``policy.engine.consent_for``): the most specific statement wins (this channel and purpose, this channel for every
purpose, every channel for this purpose, everything); with no statement, the organization's consent assumption for
the purpose (``default_consent`` of its contact rules and the customer's own, as when no service is involved)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from momentos.customers import service as customers
from momentos.models import Customer
from momentos.policy import service as policy
from momentos.policy.engine import CHANNELS, PURPOSES, Facts, consent_for

State = Literal["granted", "withdrawn", "not_stated"]
Scope = Literal["exact", "channel", "purpose", "all", "assumed"]
"""Which statement decides a cell: for this channel and purpose, for this channel and every purpose, for every
channel and this purpose, for everything; ``assumed``: none, the organization's assumption."""


@dataclass(frozen=True)
class Cell:
    channel: str
    purpose: str
    state: State
    scope: Scope
    allowed: bool
    """What the policy takes: the statement, or the assumption when none."""


@dataclass(frozen=True)
class ConsentGrid:
    channels: tuple[str, ...]
    purposes: tuple[str, ...]
    rows: list[tuple[str, list[Cell]]]
    assumed: dict[str, bool]
    """Per purpose, what "not stated" means: consent assumed (True) or not."""
    do_not_contact: bool


def _scope(source: str) -> Scope:
    if source == "default":
        return "assumed"
    channel, _, purpose = source.partition("/")
    if channel == "*":
        return "all" if purpose == "*" else "purpose"
    return "channel" if purpose == "*" else "exact"


def consent_grid(session: Session, org_id: int, customer: Customer) -> ConsentGrid:
    stated = {(c.channel, c.purpose): c.granted for c in customers.consents_of(session, customer.id)}
    rules = policy.rules_for(session, org_id, policy.ContactAsk(customer.id, "status"))
    rows = []
    for channel in CHANNELS:
        cells = []
        for purpose in PURPOSES:
            allowed, source = consent_for(Facts(purpose=purpose, consents=stated), rules, channel)
            scope = _scope(source)
            state: State = "not_stated" if scope == "assumed" else "granted" if allowed else "withdrawn"
            cells.append(Cell(channel, purpose, state, scope, allowed))
        rows.append((channel, cells))
    return ConsentGrid(CHANNELS, PURPOSES, rows, {p: rules.default_consent.get(p, False) for p in PURPOSES},
                       customer.do_not_contact)
