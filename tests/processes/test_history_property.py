"""The incremental moment history always equals a full rebuild from the event log (property test)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog.presets import CONTACT_MOMENTS_8
from momentos.events.schemas import EventIn
from momentos.models import Process
from momentos.processes.moves import rebuild, with_left_times
from momentos.processes.service import history, moves_of, stats
from tests.conftest import make_org
from tests.factories import SHOP_TOUCHPOINTS, T0, make_service, send

ACTIVITIES = [*sorted(SHOP_TOUCHPOINTS), "newsletter_opened"]

event_st = st.tuples(st.sampled_from(["ana", "bea"]), st.sampled_from(ACTIVITIES), st.integers(0, 40),
                     st.sampled_from(["", "o1"]))
batches_st = st.lists(st.lists(event_st, min_size=1, max_size=8), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches_st, data=st.data())
def test_incremental_history_equals_full_rebuild(db: Session, batches: list[list[tuple[str, str, int, str]]],
                                                 data: st.DataObject) -> None:
    with db.begin_nested() as tx:
        org = make_org(db)
        make_service(db, org.id)
        sent: list[EventIn] = []
        for n, batch in enumerate(batches):
            events = [EventIn(message_id=f"b{n}-{i}", customer=c, activity=a, process=ref,
                              timestamp=T0 + timedelta(minutes=minute)) for i, (c, a, minute, ref) in enumerate(batch)]
            replay = data.draw(st.lists(st.sampled_from(sent), max_size=3)) if sent else []
            send(db, org.id, *events, *replay)
            sent.extend(events)
        for p in db.scalars(select(Process).where(Process.org_id == org.id)):
            stored = [(h.seq, h.moment, h.cycle, h.entered_at, h.left_at, h.ref) for h in history(db, p.id)]
            full = rebuild(moves_of(db, p.id), CONTACT_MOMENTS_8.positions)
            expected = [(s.seq, s.moment, s.cycle, s.entered_at, s.left_at, s.ref) for s in with_left_times(full.stays)]
            assert stored == expected
            assert (p.current_moment, p.cycle, p.moment_seq) == (full.state.current, full.state.cycle,
                                                                 full.state.seq)
            assert stats(db, [p.id])[p.id].events == len({e.message_id for e in sent if e.customer == _customer(db, p)
                                         and (e.process or "") == p.reference})
        tx.rollback()


def _customer(db: Session, p: Process) -> str:
    from momentos.models import Customer

    return db.get_one(Customer, p.customer_id).external_id
