"""Moment outcomes (analytics/outcomes.py): moved on / still here / dropped, on both paths and both databases.

A number must mean what its label says: a process still within its moment's usual time is never counted as dropped.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery, FunnelStep
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service, send

SHOP = AnalyticsQuery(service="shop")
PASSERS = [f"p{i}" for i in range(6)]
"""Six customers who leave awareness after 10 minutes: awareness's usual time is their 90th percentile."""


def _by_moment(db: Session, org_id: int, minutes: float, *, full: bool) -> dict[str, FunnelStep]:
    steps = analytics.funnel(db, org_id, SHOP, full=full, now=T0 + timedelta(minutes=minutes))
    assert all(s.moved_on + s.still_here + s.dropped == s.reached for s in steps)  # shares add to 100 %
    return {s.moment: s for s in steps}


@pytest.fixture
def journeys(db: Session, org: OrgHandle) -> int:
    make_service(db, org.id, key="shop")
    events = [e for c in PASSERS for e in (event(c, "ad_clicked", 0, service="shop"),
                                           event(c, "signed_up", 10, service="shop"))]
    events += [event("fresh", "ad_clicked", 100, service="shop"),      # 5 minutes in awareness at 105
               event("stale", "ad_clicked", 0, service="shop"),        # 105 minutes in awareness at 105
               event("back", "product_viewed", 0, service="shop"),     # consideration, then back
               event("back", "signed_up", 5, service="shop"),
               event("renews", "product_used", 0, service="shop"),
               event("renews", "subscription_renewed", 5, service="shop"),
               event("renews", "ad_clicked", 50, service="shop"),       # out of loyalty: a new cycle
               event("loyal", "subscription_renewed", 100, service="shop")]
    send(db, org.id, *events)
    return org.id


@pytest.mark.parametrize("full", [True, False], ids=["log", "aggregates"])
def test_each_process_that_entered_a_moment_has_one_outcome(db: Session, journeys: int, full: bool) -> None:
    if not full:
        incremental.catch_up(db, journeys)
    steps = _by_moment(db, journeys, 105, full=full)
    awareness = steps["awareness"]
    assert (awareness.usual_from, awareness.usual_s) == ("p90", 600.0)
    # the six passers moved on; fresh is within the usual 10 minutes; stale is beyond it; renews re-entered at 50
    assert (awareness.reached, awareness.moved_on, awareness.still_here, awareness.dropped) == (9, 6, 1, 2)
    assert awareness.drop_off == 2 and awareness.drop_off_rate == pytest.approx(2 / 9)
    # back went from consideration back to first contact: it left consideration without moving on
    assert (steps["consideration"].moved_on, steps["consideration"].dropped) == (0, 1)
    assert steps["first_contact"].still_here == 7  # the six passers and back, within the 30-day fallback


@pytest.mark.parametrize("full", [True, False], ids=["log", "aggregates"])
def test_leaving_the_last_moment_is_a_renewal_not_a_drop_off(db: Session, journeys: int, full: bool) -> None:
    if not full:
        incremental.catch_up(db, journeys)
    loyalty = _by_moment(db, journeys, 105, full=full)["loyalty"]
    assert loyalty.renewal and not _by_moment(db, journeys, 105, full=full)["use"].renewal
    assert (loyalty.reached, loyalty.moved_on, loyalty.still_here, loyalty.dropped) == (2, 1, 1, 0)


def test_in_progress_processes_become_dropped_only_past_the_usual_time(db: Session, journeys: int) -> None:
    early = _by_moment(db, journeys, 105, full=True)["awareness"]
    late = _by_moment(db, journeys, 111, full=True)["awareness"]  # fresh: 11 minutes > the usual 10
    assert (early.still_here, early.dropped) == (1, 2)
    assert (late.still_here, late.dropped) == (0, 3)
