"""Erasure of a customer across every domain. Never commits.

The customer's own rows (events, processes, consents, aliases…) go by cascade in ``customers.delete_customer``,
which also keeps the tombstone against replays; what other domains derived from them (the analytics aggregates)
is subtracted first, while the events it was built from still exist.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.customers import service as customers


def erase_customer(session: Session, org_id: int, external_id: str) -> None:
    """Forget a customer everywhere; raises NotFound for an unknown one."""
    customer = customers.get_customer(session, org_id, external_id)
    incremental.forget_customer(session, org_id, customer.id)
    customers.delete_customer(session, org_id, customer)
    session.flush()
