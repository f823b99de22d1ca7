"""Concurrent requests that create the same new customers and processes, listed in opposite orders (own
connections, committed): no deadlock, no error, each customer and process created once, every event stored."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, delete, func, select

from momentos.db import make_session_factory, unit_of_work
from momentos.models import Customer, Event, Organization, Process
from tests.conftest import make_org
from tests.factories import event, make_service, send

PEOPLE = 1000
ROUNDS = 8


def test_opposite_orders_of_new_customers_do_not_deadlock(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        make_service(session, org.id)
    errors: list[BaseException] = []
    try:
        for r in range(ROUNDS):
            barrier = threading.Barrier(2)
            people = [f"r{r}-c{i:04d}" for i in range(PEOPLE)]

            def request(n: int, people: list[str] = people, barrier: threading.Barrier = barrier) -> None:
                order = people if n == 0 else people[::-1]
                try:
                    barrier.wait()
                    with unit_of_work(factory) as session:
                        send(session, org.id, *(event(p, "signed_up", n, message_id=f"{p}-{n}") for p in order))
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=request, args=(n,)) for n in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert errors == []
        with unit_of_work(factory) as session:
            def count(model: type[Customer] | type[Process] | type[Event]) -> int:
                return int(session.scalar(select(func.count()).select_from(model).where(model.org_id == org.id))
                           or 0)
            assert (count(Customer), count(Process), count(Event)) == (PEOPLE * ROUNDS, PEOPLE * ROUNDS,
                                                                       2 * PEOPLE * ROUNDS)
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id == org.id))
