"""What the references of events guarantee: foreign keys on SQLite, statement-level triggers on PostgreSQL
(migration 0011). Both stores must behave alike, and PostgreSQL must keep a foreign key's locking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from momentos.db import make_session_factory, unit_of_work
from momentos.models import Customer, Event, Organization, Process, Service
from tests.conftest import make_org
from tests.factories import event, make_service, send

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row(org_id: int, customer_id: int, n: int, **kwargs: Any) -> dict[str, Any]:
    return {"org_id": org_id, "message_id": f"ref-{n}", "customer_id": customer_id, "service_id": None,
            "process_id": None, "type": "track", "activity": "x", "channel": "web", "moment": None,
            "initiator": "customer", "source": "api", "timestamp": T, "received_at": T, "properties": {}, **kwargs}


def _ids(session: Session, org_id: int) -> tuple[int, int, int]:
    """A customer, its process and the service of an organization with one event stored."""
    make_service(session, org_id)
    send(session, org_id, event("ana", "order_placed"))
    process = session.scalars(select(Process).where(Process.org_id == org_id)).one()
    return process.customer_id, process.id, process.service_id


def _events(session: Session, org_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.org_id == org_id)) or 0


@pytest.mark.parametrize("column", ["customer_id", "process_id", "service_id", "org_id"])
def test_an_event_naming_a_missing_row_is_refused_with_its_whole_statement(db: Session, column: str) -> None:
    org = make_org(db)
    customer_id, process_id, service_id = _ids(db, org.id)
    good = _row(org.id, customer_id, 1, process_id=process_id, service_id=service_id)
    bad = {**_row(org.id, customer_id, 2, process_id=process_id, service_id=service_id), column: 10**12}
    before = _events(db, org.id)
    with pytest.raises(IntegrityError) as caught, db.begin_nested():
        db.execute(insert(Event), [good, bad])
    assert "foreign key" in str(caught.value).lower()
    assert _events(db, org.id) == before  # the good row went with the bad one


def test_moving_events_onto_a_missing_customer_is_refused(db: Session) -> None:
    org = make_org(db)
    customer_id, _, _ = _ids(db, org.id)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(update(Event).where(Event.customer_id == customer_id).values(customer_id=10**12))
    assert db.scalar(select(func.count()).select_from(Event).where(Event.customer_id == customer_id)) == 1


def test_deleting_a_customer_process_or_organization_deletes_its_events(db: Session) -> None:
    orgs = [make_org(db) for _ in range(3)]
    ids = [_ids(db, o.id) for o in orgs]
    db.execute(delete(Customer).where(Customer.id == ids[0][0]))
    db.execute(delete(Process).where(Process.id == ids[1][1]))
    db.execute(delete(Organization).where(Organization.id == orgs[2].id))
    assert [_events(db, o.id) for o in orgs] == [0, 0, 0]


def test_deleting_a_service_clears_it_from_events_without_a_process(db: Session) -> None:
    org = make_org(db)
    customer_id, _, service_id = _ids(db, org.id)
    db.execute(insert(Event), [_row(org.id, customer_id, 1, service_id=service_id)])
    db.execute(delete(Service).where(Service.id == service_id))  # its processes (and their events) go with it
    assert db.execute(select(Event.message_id, Event.service_id).where(Event.org_id == org.id)).all() == [
        ("ref-1", None)]


# ---------------------------------------------------------------- PostgreSQL: a foreign key's locking


@pytest.fixture
def pg(engines: dict[str, Engine]) -> Any:
    """A committed organization with one customer on PostgreSQL, deleted afterwards."""
    engine = engines["postgresql"]
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        customer_id, _, _ = _ids(session, org.id)
    yield engine, org.id, customer_id
    with engine.begin() as conn:
        conn.execute(delete(Organization).where(Organization.id == org.id))


def _blocked_until_commit(engine: Engine, holder: Connection, target: Callable[[], None], what: str) -> None:
    """Run ``target`` on a thread: it must wait for the open transaction of ``holder``, which is then committed."""
    thread = threading.Thread(target=target)
    thread.start()
    try:
        time.sleep(0.5)
        with engine.connect() as conn:
            waiting = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()"))
        assert thread.is_alive() and waiting, f"{what} did not wait for the other transaction"
    finally:
        holder.commit()
        holder.close()
        thread.join(10)


def test_a_customer_deleted_while_events_are_written_for_it_takes_them_along(pg: Any) -> None:
    engine, org_id, customer_id = pg
    writer = engine.connect()
    writer.begin()
    writer.execute(insert(Event), [_row(org_id, customer_id, 7)])  # locks the customer, as a foreign key does
    deleted: list[int] = []

    def erase() -> None:
        with engine.begin() as conn:
            deleted.append(conn.execute(delete(Customer).where(Customer.id == customer_id)).rowcount)

    _blocked_until_commit(engine, writer, erase, "the delete")
    assert deleted == [1]
    with engine.connect() as conn:  # the event committed meanwhile went with its customer: no orphan
        assert conn.scalar(select(func.count()).select_from(Event).where(Event.customer_id == customer_id)) == 0


def test_events_for_a_customer_being_deleted_wait_and_are_refused(pg: Any) -> None:
    engine, org_id, customer_id = pg
    eraser = engine.connect()
    eraser.begin()
    eraser.execute(delete(Customer).where(Customer.id == customer_id))
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(Event), [_row(org_id, customer_id, 8)])
            outcome.append(None)
        except BaseException as exc:  # reported to the test thread
            outcome.append(exc)

    _blocked_until_commit(engine, eraser, write, "the insert")
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError)
    assert "fk_events_customer_id_customers" in str(outcome[0])
