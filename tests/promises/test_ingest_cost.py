"""Ingestion asks nothing about promises for an organization without them once its routing is cached, and sees a
new or retired promise at the next batch (the catalog version changes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service
from tests.promises.helpers import define, instances, send_at


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = db.get_bind()
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


def test_no_promise_queries_for_an_organization_without_promises(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    send_at(db, org.id, T0, event("ana", "order_placed"))  # routing and promise set cached
    with statements(db) as seen:
        send_at(db, org.id, T0, event("ana", "order_delivered", 5), event("bea", "order_placed", 6))
    assert not [s for s in seen if "promise" in s]


def test_a_new_promise_is_seen_by_the_next_batch(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    send_at(db, org.id, T0, event("ana", "order_placed"))
    define(db, org.id)
    send_at(db, org.id, T0, event("bea", "order_placed", 1))
    assert len(instances(db, org.id)) == 1
