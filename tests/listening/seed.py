"""Listening test data: the journeys of ``tests.web.seed`` plus analysed comments grouped in three needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.models import Customer, Feedback, Need, Process, Service
from tests.web.seed import seed_journeys

# (customer or None, service, moment, sentiment, source, need index, text, days ago)
COMMENTS = [
    ("ana", "shop", "purchase", "neg", "survey", 0, "El envío tardó muchísimo", 1),
    ("bea", "shop", "purchase", "neg", "reviews", 0, "Llegó tarde otra vez", 2),
    ("eva", "shop", "purchase", "neu", "reviews", 0, "El paquete tardó una semana", 3),
    ("ana", "shop", "delivery", "pos", "status_page", 1, "Muy amables en la entrega", 4),
    ("fer", "bistro", "purchase", "pos", "survey", 1, "Reservar fue fácil", 5),
    (None, "bistro", "delivery", "neg", "social", 2, "La comida llegó fría", 6),
    ("gus", "bistro", "delivery", "neg", "social", 2, "Plato frío y sin sabor", 7),
]


@dataclass(frozen=True)
class Seeded:
    needs: list[int]
    feedback: list[int]
    processes: dict[str, int]
    """Customer external id → the id of one of their processes."""


def seed_needs(session: Session, org_id: int, now: datetime) -> Seeded:
    seed_journeys(session, org_id)
    services = {s.key: s.id for s in session.scalars(select(Service).where(Service.org_id == org_id))}
    customers = {c.external_id: c.id for c in session.scalars(select(Customer).where(Customer.org_id == org_id))}
    procs = {ext: session.scalar(select(Process.id).where(Process.customer_id == cid).order_by(Process.id).limit(1))
             for ext, cid in customers.items()}
    needs = [Need(org_id=org_id, label=label, terms=[label.split()[0]], created_at=now, updated_at=now)
             for label in ("envío tarde", "trato amable", "comida fría")]
    session.add_all(needs)
    session.flush()
    rows = []
    for i, (who, svc, moment, sentiment, source, need, text, days) in enumerate(COMMENTS):
        rows.append(Feedback(org_id=org_id, kind="comment", source=source, external_id=f"c{i}",
                             customer_id=customers[who] if who else None, process_id=procs[who] if who else None,
                             service_id=services[svc], moment=moment, text=text, perception={},
                             occurred_at=now - timedelta(days=days), created_at=now, sentiment=sentiment,
                             language="es", analyzed_at=now, need_id=needs[need].id))
    session.add_all(rows)
    session.flush()
    return Seeded([n.id for n in needs], [f.id for f in rows], {k: v for k, v in procs.items() if v is not None})
