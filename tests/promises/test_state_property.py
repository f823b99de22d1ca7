"""The stored state of every instance is a cache: after any interleaving of batches (out of order, with
duplicates and replays) and clock ticks, it equals a full recomputation from the stored event history.

The promise runs on a Madrid business calendar (mornings and afternoons, weekdays, a holiday) across the spring
daylight-saving change, with pauses while waiting on the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.events.schemas import EventIn
from momentos.models import PromiseDefinition, PromiseTransition
from momentos.promises import clock, service
from tests.conftest import make_org
from tests.factories import make_service
from tests.promises.helpers import define, instances, send_at

BASE = datetime(2026, 3, 26, 7, 0, tzinfo=UTC)  # a Thursday; Madrid moves its clocks on Sunday the 29th
RULE = {"type": "time", "start_activity": "order_placed", "stop_activity": "order_delivered", "target_hours": 12,
        "at_risk_fraction": 0.5, "pause_activities": ["ticket_opened"], "resume_activities": ["product_used"],
        "calendar": {"timezone": "Europe/Madrid", "holidays": ["2026-03-30"],
                     "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]] for d in ("mon", "tue", "wed", "thu",
                                                                                   "fri")}}}
ACTIVITIES = ["order_placed", "order_delivered", "ticket_opened", "product_used", "product_viewed"]

event_st = st.tuples(st.sampled_from(["ana", "bea"]), st.sampled_from(ACTIVITIES), st.integers(0, 8 * 24 * 60),
                     st.sampled_from(["", "o1"]))
step_st = st.one_of(st.lists(event_st, min_size=1, max_size=6).map(lambda b: ("batch", b)),
                    st.integers(1, 3 * 24 * 60).map(lambda m: ("tick", m)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step_st, min_size=1, max_size=8), data=st.data())
def test_stored_state_equals_a_full_recomputation(db: Session, steps: list[tuple[str, object]],
                                                   data: st.DataObject) -> None:
    with db.begin_nested() as tx:
        org = make_org(db)
        make_service(db, org.id)
        definition = define(db, org.id, rule=RULE)
        now, sent = BASE, list[EventIn]()
        for n, (kind, step) in enumerate(steps):
            if kind == "tick":
                assert isinstance(step, int)
                now += timedelta(minutes=step)
                while clock.tick(db, now, limit=3):
                    pass
                continue
            assert isinstance(step, list)
            events = [EventIn(message_id=f"b{n}-{i}", customer=c, activity=a, process=ref,
                              timestamp=BASE + timedelta(minutes=minute)) for i, (c, a, minute, ref) in enumerate(step)]
            replay = data.draw(st.lists(st.sampled_from(sent), max_size=3)) if sent else []
            send_at(db, org.id, now, *events, *replay)
            sent.extend(events)
        _check(db, org.id, definition, now)
        tx.rollback()


def _check(db: Session, org_id: int, definition: PromiseDefinition, now: datetime) -> None:
    for inst in instances(db, org_id):
        full = service.recompute(db, org_id, definition, inst.process_id, now)
        assert full is not None
        assert (inst.state, inst.started_at, inst.due_at, inst.at_risk_at, inst.closed_at, inst.stopped_at,
                inst.paused, inst.next_check_at) == (full.state, full.started_at, full.due_at, full.at_risk_at,
                                                     full.closed_at, full.stopped_at, full.paused, full.next_check_at)
        steps = list(db.scalars(select(PromiseTransition).where(PromiseTransition.instance_id == inst.id)
                                .order_by(PromiseTransition.seq)))
        assert [t.seq for t in steps] == list(range(1, inst.seq + 1))
        assert steps[-1].to_state == inst.state
        assert all(a.to_state == b.from_state and a.to_state != b.to_state for a, b in pairwise(steps))
