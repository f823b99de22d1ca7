"""Two requests ingesting events of the same processes at once (own connections, committed; the customers and
processes exist and the events move no moment, so nothing else serializes them): each instance is created once,
with one first transition, and neither request fails."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, delete, func, select

from momentos.db import make_session_factory, unit_of_work
from momentos.models import Organization, PromiseInstance, PromiseTransition
from tests.conftest import make_org
from tests.factories import T0, event, make_service
from tests.promises.helpers import SHIP_RULE, define, send_at

PEOPLE = 30


def test_concurrent_batches_create_each_instance_once(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        make_service(session, org.id)
        define(session, org.id, rule={**SHIP_RULE, "start_activity": "invoice_sent"})  # moves no moment
        send_at(session, org.id, T0, *(event(f"c{i}", "signed_up") for i in range(PEOPLE)))  # processes exist
    barrier, errors = threading.Barrier(2), list[BaseException]()

    def request(n: int) -> None:
        try:
            barrier.wait()
            with unit_of_work(factory) as session:
                send_at(session, org.id, T0, *(event(f"c{i}", "invoice_sent", n, message_id=f"r{n}-{i}")
                                               for i in range(PEOPLE)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        with unit_of_work(factory) as session:
            count = session.scalar(select(func.count()).select_from(PromiseInstance)
                                   .where(PromiseInstance.org_id == org.id))
            firsts = session.execute(select(PromiseTransition.seq, func.count()).where(
                PromiseTransition.org_id == org.id).group_by(PromiseTransition.seq)).all()
            starts = {i.started_at for i in session.scalars(select(PromiseInstance)
                                                            .where(PromiseInstance.org_id == org.id))}
        assert count == PEOPLE and dict(firsts) == {1: PEOPLE}
        assert starts == {T0}  # the earlier of the two order events, whichever request came first
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id == org.id))
