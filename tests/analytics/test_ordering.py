"""How events are ordered within a case, and what an empty log gives."""

from __future__ import annotations

import pandas as pd
import pm4py
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from tests.analytics.pm4py_reference import reference_of
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service, send


def test_ties_in_time_keep_the_order_of_arrival_like_pm4py(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, touchpoints={})
    # same timestamp for "pack" and "label": arrival order decides, as file order does for pm4py
    send(db, org.id, event("c1", "order", 0, service="shop"), event("c1", "pack", 5, service="shop"),
         event("c1", "label", 5, service="shop"), event("c1", "ship", 9, service="shop"))
    send(db, org.id, event("c2", "label", 5, service="shop"), event("c2", "order", 0, service="shop"),
         event("c2", "pack", 5, service="shop"))
    variants = {tuple(v.variant) for v in analytics.variants(db, org.id, AnalyticsQuery())}
    assert variants == {("order", "pack", "label", "ship"), ("order", "label", "pack")}
    file_order = pd.DataFrame({
        "case:concept:name": ["c1"] * 4 + ["c2"] * 3,
        "concept:name": ["order", "pack", "label", "ship", "label", "order", "pack"],
        "time:timestamp": [T0 + pd.Timedelta(minutes=m) for m in (0, 5, 5, 9, 5, 0, 5)]})
    # pm4py's variants follow the frame's row order; format_dataframe sorts it by case and time (ties: row order)
    formatted = pm4py.format_dataframe(file_order, case_id="case:concept:name", activity_key="concept:name",
                                       timestamp_key="time:timestamp")
    assert set(reference_of(formatted).variants) == variants


def test_an_empty_log_gives_empty_views_and_a_zero_funnel(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    q = AnalyticsQuery(service="shop")
    assert analytics.dfg(db, org.id, q) == []
    assert analytics.variants(db, org.id, AnalyticsQuery(by="moment")) == []
    assert analytics.start_end(db, org.id, q).start == {}
    funnel = analytics.funnel(db, org.id, q)
    assert len(funnel) == 8 and all(s.reached == 0 and s.conversion is None for s in funnel)
    indicators = analytics.moment_indicators(db, org.id, q)
    assert all(t.median_s is None for t in indicators.time_in_moment)
    assert all(c.events == 0 for c in indicators.channel_mix)
