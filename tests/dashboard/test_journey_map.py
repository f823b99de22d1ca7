"""The journey map's numbers come from the analytics service, each drill-down lists exactly the processes its cell
counts, and the filters (period, channel, moments shown) narrow both."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.dashboard import journey_map
from momentos.dashboard.drill import drill
from momentos.dashboard.filters import MapFilters
from momentos.dashboard.overview import alerts, summaries
from momentos.dashboard.sources import alert_sources, map_rows
from momentos.errors import NotFound
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


@pytest.fixture
def shop(db: Session, org: OrgHandle) -> OrgHandle:
    make_service(db, org.id)
    send(db, org.id,
         event("ana", "ad_clicked", 0, channel="web"), event("ana", "signed_up", 5, channel="web"),
         event("ana", "order_placed", 10, channel="app"), event("ana", "order_shipped", 60, channel="email"),
         event("bea", "ad_clicked", 1, channel="web"), event("bea", "order_placed", 2, channel="app"),
         event("eva", "ad_clicked", 3, channel="web"),
         *(event("ana", "order_delivered", 61 + i, channel="email") for i in range(3)))
    return org


def test_cells_match_analytics_and_each_drill_down_lists_what_its_cell_counts(db: Session,
                                                                              shop: OrgHandle) -> None:
    m = journey_map.journey_map(db, shop.id, "shop", MapFilters(), rows=map_rows())
    funnel = {f.moment: f for f in analytics.funnel(db, shop.id, AnalyticsQuery(service="shop", by="moment"))}
    assert [c.moment.key for c in m.columns][:4] == ["awareness", "first_contact", "consideration", "purchase"]
    for col in m.columns:
        f = funnel[col.moment.key]
        assert (col.reached.value, col.moved_on.value, col.still_here.value, col.dropped.value) == (
            f.reached, f.moved_on, f.still_here, f.dropped)
        for figure in (col.now, col.reached, col.moved_on, col.still_here, col.dropped):
            assert figure.drill is not None
            listed = drill(db, shop.id, "shop", MapFilters(), col.moment.key, figure.drill)
            assert listed.total == figure.value == len(listed.rows), (col.moment.key, figure.drill)
    awareness = m.columns[0]
    assert awareness.reached.value == 3 and awareness.moved_on.value == 2 and awareness.now.value == 1
    names = {r.customer for r in drill(db, shop.id, "shop", MapFilters(), "awareness", "dropped").rows}
    assert names == {"eva"}
    delivery = next(c for c in m.columns if c.moment.key == "delivery")
    assert delivery.budget == 1 and delivery.over_budget.value == 1  # ana got 4 company-started contacts
    over = drill(db, shop.id, "shop", MapFilters(), "delivery", "over_budget")
    assert [r.customer for r in over.rows] == ["ana"]
    assert {r.key: r.cells for r in m.extra_rows} == {"promises": None, "emotion": None, "needs": None}


def test_filters_narrow_the_map(db: Session, shop: OrgHandle) -> None:
    by_app = journey_map.journey_map(db, shop.id, "shop", MapFilters(channel="app"), rows=map_rows())
    assert {c.moment.key: c.reached.value for c in by_app.columns if c.reached.value} == {"purchase": 2}
    future = journey_map.journey_map(db, shop.id, "shop", MapFilters(start=date(2099, 1, 1)), rows=map_rows())
    assert all(c.reached.value == 0 for c in future.columns)
    canonical = journey_map.journey_map(db, shop.id, "shop", MapFilters(view="canonical"), rows=map_rows())
    assert len(canonical.columns) == 8 and canonical.columns[3].reached.value == 2
    with pytest.raises(NotFound):
        drill(db, shop.id, "shop", MapFilters(), "awareness", "everything")


def test_overview_has_each_service_with_its_funnel_and_no_alert_without_dead_notifications(
        db: Session, shop: OrgHandle, other_org: OrgHandle) -> None:
    [summary] = summaries(db, shop.id)
    assert summary.service.key == "shop" and summary.level.level == "low"
    assert summary.funnel[0].reached == 3
    assert alerts(db, shop.id, alert_sources()) == []
    assert summaries(db, other_org.id) == []
