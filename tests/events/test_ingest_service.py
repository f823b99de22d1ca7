from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.errors import ValidationFailed
from momentos.models import Customer, Event, Process
from momentos.processes.service import history as history_of
from momentos.processes.service import stats
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def counts(db: Session, org_id: int) -> tuple[int, int, int]:
    def n(model: type) -> int:
        return int(db.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)

    return n(Event), n(Customer), n(Process)


def test_events_move_the_process_through_moments_by_touchpoint_rules(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    result = send(db, org.id, event("ana", "ad_clicked", 0), event("ana", "signed_up", 5),
                  event("ana", "order_placed", 60), event("ana", "order_shipped", 120))
    assert result.accepted == 4
    process = db.scalars(select(Process).where(Process.org_id == org.id)).one()
    assert process.current_moment == "delivery"
    history = history_of(db, process.id)
    assert [h.moment for h in history] == ["awareness", "first_contact", "purchase", "delivery"]
    assert history[0].left_at == history[1].entered_at
    assert history[-1].left_at is None
    assert stats(db, [process.id])[process.id].events == 4


def test_replaying_a_batch_counts_nothing_twice(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    batch = [event("ana", "signed_up", 0), event("bea", "order_placed", 1), event("ana", "order_placed", 2)]
    first = send(db, org.id, *batch)
    before = counts(db, org.id)
    again = send(db, org.id, *batch)
    assert (first.accepted, again.accepted, again.duplicates) == (3, 0, 3)
    assert counts(db, org.id) == before == (3, 2, 2)


def test_duplicates_inside_one_batch_are_stored_once(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    e = event("ana", "signed_up", 0)
    result = send(db, org.id, e, e, e)
    assert (result.accepted, result.duplicates) == (1, 2)


def test_unknown_moment_rejects_the_whole_batch(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    with pytest.raises(ValidationFailed) as err:
        send(db, org.id, event("ana", "signed_up", 0), event("ana", "x", 1, moment="nowhere"))
    assert err.value.code == "unknown_moment"
    assert err.value.detail["index"] == 1
    assert counts(db, org.id) == (0, 0, 0)


def test_unknown_service_is_an_error(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    with pytest.raises(ValidationFailed) as err:
        send(db, org.id, event("ana", "signed_up", 0, service="nope"))
    assert err.value.code == "unknown_service"


def test_explicit_moment_and_process_reference(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "called", 0, moment="support", process="claim-1"),
         event("ana", "order_placed", 1, process="order-9"))
    refs = dict(db.execute(select(Process.reference, Process.current_moment)
                           .where(Process.org_id == org.id)).all())
    assert refs == {"claim-1": "support", "order-9": "purchase"}


def test_out_of_order_event_leaves_history_as_if_in_order(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "signed_up", 0), event("ana", "order_shipped", 30))
    send(db, org.id, event("ana", "order_placed", 10))  # arrives late
    p = db.scalars(select(Process).where(Process.org_id == org.id)).one()
    history = history_of(db, p.id)
    assert [h.moment for h in history] == ["first_contact", "purchase", "delivery"]
    assert [h.seq for h in history] == [1, 2, 3]
    assert history[1].left_at == history[2].entered_at
    assert p.current_moment == "delivery"


def test_renewal_from_loyalty_starts_a_new_cycle_and_moving_back_does_not(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "order_placed", 0), event("ana", "ticket_opened", 1),
         event("ana", "order_shipped", 2), event("ana", "subscription_renewed", 3),
         event("ana", "order_placed", 4))
    p = db.scalars(select(Process).where(Process.org_id == org.id)).one()
    history = history_of(db, p.id)
    assert [(h.moment, h.cycle) for h in history] == [
        ("purchase", 1), ("support", 1), ("delivery", 1), ("loyalty", 1), ("purchase", 2)]
    assert p.cycle == 2


def test_events_without_a_matching_service_are_kept_without_process(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    make_service(db, org.id, key="bank", touchpoints={"login": "use"})
    send(db, org.id, event("ana", "newsletter_opened", 0))
    assert counts(db, org.id) == (1, 1, 0)
    e = db.scalars(select(Event).where(Event.org_id == org.id)).one()
    assert (e.service_id, e.process_id, e.channel) == (None, None, "other")


def test_activity_unique_to_one_service_routes_there(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    bank = make_service(db, org.id, key="bank", touchpoints={"login": "use"})
    send(db, org.id, event("ana", "login", 0))
    p = db.scalars(select(Process).where(Process.org_id == org.id)).one()
    assert (p.service_id, p.current_moment) == (bank.id, "use")
