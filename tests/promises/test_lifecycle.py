"""Instances follow the events and the clock: created at the start activity, at risk, broken or kept; each state
change is one transition with its notices (customer message, staff alert) in the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from momentos.promises import clock
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service
from tests.promises.helpers import define, instances, notices, send_at, transitions

H = 60.0  # minutes per hour, for event()
NOW = T0 + timedelta(minutes=1)


def test_an_instance_starts_at_the_start_activity_with_its_due_and_at_risk_times(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id)
    send_at(db, org.id, NOW, event("ana", "signed_up"), event("ana", "order_placed", 10))
    (inst,) = instances(db, org.id)
    start = T0 + timedelta(minutes=10)
    assert (inst.state, inst.started_at) == ("pending", start)
    assert inst.due_at == start + timedelta(hours=48)
    assert inst.at_risk_at == start + timedelta(hours=36)
    assert inst.next_check_at == inst.at_risk_at


def test_the_clock_moves_it_to_at_risk_then_broken_once_each_with_notices(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id, staff={"email": "ops@example.com"})
    placed = event("ana", "order_placed")
    send_at(db, org.id, NOW, placed)
    assert clock.tick(db, T0 + timedelta(hours=1)) == 0
    assert clock.tick(db, T0 + timedelta(hours=37)) == 1
    assert clock.tick(db, T0 + timedelta(hours=37)) == 0
    assert [i.state for i in instances(db, org.id)] == ["at_risk"]
    assert clock.tick(db, T0 + timedelta(hours=49)) == 1
    assert clock.tick(db, T0 + timedelta(hours=60)) == 0
    (inst,) = instances(db, org.id)
    assert (inst.state, inst.closed_at, inst.next_check_at) == ("broken", T0 + timedelta(hours=48), None)
    assert [(t[2], t[3], t[5]) for t in transitions(db, org.id)] == [
        (None, "pending", "ingest"), ("pending", "at_risk", "clock"), ("at_risk", "broken", "clock")]
    sent = [(n.purpose, n.template, n.dedup_key) for n in notices(db, org.id)]
    assert sent == [("promise", "promise_announce", f"promise-announce:{placed.message_id}:purchase"),
                    ("promise", "promise_at_risk", f"promise:{inst.id}:at_risk"),
                    ("promise", "promise_broken", f"promise:{inst.id}:broken"),
                    ("staff_alert", "staff_alert", f"promise:{inst.id}:broken:staff")]


def test_the_stop_activity_in_time_keeps_it_and_tells_no_one_unless_configured(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id)
    define(db, org.id, "told-when-kept", notify_kept=True)
    send_at(db, org.id, NOW, event("ana", "order_placed"), event("ana", "order_delivered", 20 * H))
    assert [(i.state, i.closed_at) for i in instances(db, org.id)] == [("kept", T0 + timedelta(hours=20))] * 2
    assert [n.template for n in notices(db, org.id)] == ["promise_announce", "promise_kept"]


def test_a_late_stop_event_arriving_out_of_order_breaks_it_at_the_due_time(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id)
    send_at(db, org.id, NOW, event("ana", "order_delivered", 60 * H))
    assert instances(db, org.id) == []
    send_at(db, org.id, NOW, event("ana", "order_placed"))
    (inst,) = instances(db, org.id)
    assert (inst.state, inst.closed_at, inst.stopped_at) == ("broken", T0 + timedelta(hours=48),
                                                             T0 + timedelta(hours=60))


def test_replayed_events_change_nothing(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id)
    first = event("ana", "order_placed")
    send_at(db, org.id, NOW, first)
    before = transitions(db, org.id)
    send_at(db, org.id, NOW, first, first)
    assert transitions(db, org.id) == before and len(instances(db, org.id)) == 1


def test_a_returns_window_closes_kept_on_the_clock_and_a_breach_inside_breaks_it(db: Session,
                                                                                 org: OrgHandle) -> None:
    make_service(db, org.id)
    window = {"type": "window", "start_activity": "order_delivered", "window_hours": 24 * 30,
              "breach_activities": ["return_refused"]}
    define(db, org.id, "returns-30-days", kind="returns", moment="support", rule=window)
    send_at(db, org.id, NOW, event("ana", "order_delivered"), event("bea", "order_delivered"))
    assert [i.state for i in instances(db, org.id)] == ["pending", "pending"]
    send_at(db, org.id, NOW + timedelta(days=3), event("bea", "return_refused", 3 * 24 * H))
    assert clock.tick(db, T0 + timedelta(days=31)) == 1
    assert [(i.state, i.closed_at) for i in instances(db, org.id)] == [
        ("kept", T0 + timedelta(days=30)), ("broken", T0 + timedelta(days=3))]
