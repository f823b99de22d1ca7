"""Erasure of a customer across every domain. Never commits.

Everything ``privacy.scope`` lists as the customer's goes: what analytics derived from them is subtracted first
(``analytics.incremental.forget_customer``), their id and aliases become tombstones (``customers.erased``: nothing
naming them is linked or stored again, on any door), then each section's rows are deleted (children first, so a
row tied to the customer only through a process or a notification goes too), their own contact rules, and the
customer. The audit log records who erased whom, naming the customer only by the digest the tombstone keeps.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.audit.service import Actor, record
from momentos.customers import service as customers
from momentos.privacy import scope
from momentos.privacy.export import audit_target


def erase_customer(session: Session, org_id: int, external_id: str, actor: Actor | None = None) -> dict[str, int]:
    """Forget a customer everywhere; raises NotFound for an unknown one. Returns the rows removed per section.
    ``actor``: who asked, for the audit log (Momentos itself when not given)."""
    customer = customers.get_customer(session, org_id, external_id)
    incremental.forget_customer(session, org_id, customer.id)
    customers.tombstone(session, org_id, customer)
    removed: dict[str, int] = {}
    for section in reversed(scope.SECTIONS):
        result = session.execute(delete(section.table).where(section.condition(org_id, customer.id)),
                                 execution_options={"synchronize_session": False})
        removed[section.key] = int(getattr(result, "rowcount", 0) or 0)
    rules = session.execute(delete(scope.CONTACT_RULES).where(scope.customer_rules(org_id, customer.id)),
                            execution_options={"synchronize_session": False})
    removed["contact_rules"] = int(getattr(rules, "rowcount", 0) or 0)
    customers.delete_customer(session, org_id, customer)
    record(session, org_id, actor or Actor.system(), "customer.erase", audit_target(external_id),
           before={k: v for k, v in removed.items() if v})
    session.flush()
    return removed
