"""What belongs to one customer: every table holding their data, how its rows are found, and what erasure does
with it. The export (``privacy.export``) reads these sections; erasure (``privacy.service``) removes them; one
test (``tests/privacy/test_export_erasure_equal.py``) derives the per-customer tables from ``Base.metadata`` and
holds both sides to this list, so a new table cannot be forgotten by either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from momentos.models import (
    Consent,
    ConsentEvent,
    ContactDecision,
    ContactRule,
    CustomerAlias,
    Event,
    Feedback,
    MailboxMessage,
    Notification,
    NotificationAttempt,
    Process,
    PromiseInstance,
    PromiseTransition,
    StatusFeedback,
    StatusToken,
    SurveyInvitation,
)
from momentos.policy.rules import customer_scope


@dataclass(frozen=True)
class Section:
    """One part of the export: the rows of ``table`` that belong to the customer.

    A row belongs when its ``customer_id`` is the customer's (``by_customer``), or when one of ``by_parent``'s
    columns holds the id of a row of another section (``column → section key``): a notification attempt by its
    notification, a status token by its process."""

    key: str
    table: Table
    by_customer: bool = True
    by_parent: tuple[tuple[str, str], ...] = ()
    order_by: tuple[str, ...] = ("id",)

    def condition(self, org_id: int, customer_id: int) -> ColumnElement[bool]:
        """The customer's rows of this section (parents' ids as subqueries, so nothing is held in memory)."""
        terms: list[ColumnElement[bool]] = []
        if self.by_customer:
            terms.append(self.table.c.customer_id == customer_id)
        for column, parent_key in self.by_parent:
            parent = section(parent_key)
            terms.append(self.table.c[column].in_(select(parent.table.c.id)
                                                  .where(parent.condition(org_id, customer_id))))
        return and_(self.table.c.org_id == org_id, or_(*terms))


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


SECTIONS: tuple[Section, ...] = (
    Section("identities", _t(CustomerAlias)),
    Section("consents", _t(Consent), order_by=("channel", "purpose")),
    Section("consent_history", _t(ConsentEvent), order_by=("occurred_at", "id")),
    Section("processes", _t(Process)),
    Section("events", _t(Event), order_by=("timestamp", "id")),
    Section("status_pages", _t(StatusToken), by_customer=False, by_parent=(("process_id", "processes"),)),
    Section("status_page_feedback", _t(StatusFeedback), by_customer=False,
            by_parent=(("process_id", "processes"),)),
    Section("notifications", _t(Notification)),
    Section("notification_attempts", _t(NotificationAttempt), by_customer=False,
            by_parent=(("notification_id", "notifications"),)),
    Section("mailbox_messages", _t(MailboxMessage), by_parent=(("notification_id", "notifications"),)),
    Section("contact_decisions", _t(ContactDecision), order_by=("decided_at", "id")),
    Section("promise_instances", _t(PromiseInstance)),
    Section("promise_transitions", _t(PromiseTransition), by_customer=False,
            by_parent=(("instance_id", "promise_instances"),)),
    Section("survey_invitations", _t(SurveyInvitation)),
    Section("feedback", _t(Feedback), by_parent=(("process_id", "processes"),)),
)
"""In dependency order: a row's parent rows (by ``by_parent`` or by a foreign key) come in an earlier section, so
erasure, deleting the sections in reverse, deletes (and counts) children before a cascade could."""

CONTACT_RULES = _t(ContactRule)
"""The customer's own contact rules (scope ``customer:<id>``): found by scope, not by a column."""

DERIVED: dict[str, str] = {
    "analytics_cases": "each case's digest of its events and stays (the events are exported)",
    "analytics_moment_customers": "counts per moment of the customer's cases (derived from the events)",
    "analytics_moment_contacts": "counts per moment of the customer's events (derived from the events)",
}
"""Per-customer tables that are not exported, because they only restate exported rows in another form; erasure
subtracts and removes them (``analytics.incremental.forget_customer``)."""


def section(key: str) -> Section:
    return next(s for s in SECTIONS if s.key == key)


def customer_rules(org_id: int, customer_id: int) -> ColumnElement[bool]:
    return and_(CONTACT_RULES.c.org_id == org_id, CONTACT_RULES.c.scope == customer_scope(customer_id))


def section_rows(session: Session, org_id: int, customer_id: int) -> dict[str, list[RowMapping]]:
    """Every section's rows for one customer (only theirs: each query is bounded by the customer or their rows),
    and their contact rules (``contact_rules``)."""
    found: dict[str, list[RowMapping]] = {}
    for s in SECTIONS:
        stmt = select(s.table).where(s.condition(org_id, customer_id)).order_by(*(s.table.c[c] for c in s.order_by))
        found[s.key] = list(session.execute(stmt).mappings())
    found["contact_rules"] = list(session.execute(select(CONTACT_RULES).where(customer_rules(org_id, customer_id))
                                                  .order_by(CONTACT_RULES.c.id)).mappings())
    return found
