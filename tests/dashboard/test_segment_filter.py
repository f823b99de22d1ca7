"""The journey map filtered by a segment: every number counts only the segment's customers, each drill-down lists
only them, and the cache never answers a segment filter with an entry computed without it or before its customers
or rule changed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from momentos.dashboard import journey_map
from momentos.dashboard.cache import ViewCache
from momentos.dashboard.drill import KINDS, drill
from momentos.dashboard.filters import MapFilters
from momentos.dashboard.sources import map_rows
from momentos.errors import NotFound
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.segments.schemas import SegmentCreate, SegmentUpdate
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service, send

PLANS = {"ana": "premium", "bea": "basic", "eva": "premium", "fer": "basic"}
PREMIUM = MapFilters(segment="premium")


@pytest.fixture
def shop(db: Session, org: OrgHandle) -> OrgHandle:
    make_service(db, org.id)
    send(db, org.id,
         event("ana", "ad_clicked", 0), event("ana", "signed_up", 5), event("ana", "order_placed", 10),
         event("ana", "order_shipped", 60, channel="email"),
         *(event("ana", "order_delivered", 61 + i, channel="email") for i in range(3)),
         event("bea", "ad_clicked", 1), event("bea", "order_placed", 2),
         event("eva", "ad_clicked", 3), event("fer", "ad_clicked", 4), event("fer", "order_placed", 6))
    for who, plan in PLANS.items():
        identify(db, org.id, IdentifyIn(customer=who, timestamp=T0, traits={"plan": plan}))
    segments.create_segment(db, org.id, SegmentCreate.model_validate({
        "key": "premium", "name_es": "Premium", "name_en": "Premium",
        "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]}), utcnow(), actor=Actor.cli("tests"))
    return org


def _figures(db: Session, org: OrgHandle, filters: MapFilters, cache: ViewCache | None = None) -> dict[str, tuple]:
    m = journey_map.journey_map(db, org.id, "shop", filters, cache, rows=map_rows())
    return {c.moment.key: (c.now.value, c.reached.value, c.moved_on.value, c.still_here.value, c.dropped.value,
                         c.customers)
            for c in m.columns}


def test_the_map_counts_only_the_segments_customers_and_drill_downs_list_only_them(db: Session,
                                                                                   shop: OrgHandle) -> None:
    everyone, premium = _figures(db, shop, MapFilters()), _figures(db, shop, PREMIUM)
    assert everyone["awareness"] == (1, 4, 3, 0, 1, 4)  # events months ago: the one left is past its usual time
    assert premium["awareness"] == (1, 2, 1, 0, 1, 2)
    assert everyone["purchase"][1] == 3 and premium["purchase"][1] == 1
    m = journey_map.journey_map(db, shop.id, "shop", PREMIUM, rows=map_rows())
    for col in m.columns:
        for figure in (col.now, col.reached, col.moved_on, col.still_here, col.dropped, col.over_budget):
            if figure.drill and figure.value:
                listed = drill(db, shop.id, "shop", PREMIUM, col.moment.key, figure.drill)
                assert listed.total == figure.value, (col.moment.key, figure.drill)
                assert {r.customer for r in listed.rows} <= {"ana", "eva"}
    for kind in KINDS:
        for moment in ("awareness", "purchase", "delivery"):
            assert {r.customer for r in drill(db, shop.id, "shop", PREMIUM, moment, kind).rows} <= {"ana", "eva"}
    assert {r.customer for r in drill(db, shop.id, "shop", MapFilters(), "awareness", "reached").rows} == set(PLANS)
    assert "segment=premium" in PREMIUM.qs(moment="awareness", kind="reached")
    assert MapFilters.parse("", "", "", "", " premium ") == PREMIUM


def test_the_cache_keeps_segment_answers_apart_and_follows_trait_and_rule_changes(db: Session,
                                                                                  shop: OrgHandle) -> None:
    cache = ViewCache()
    everyone = _figures(db, shop, MapFilters(), cache)
    assert _figures(db, shop, PREMIUM, cache)["awareness"][1] == 2
    assert _figures(db, shop, MapFilters(), cache) == everyone
    identify(db, shop.id, IdentifyIn(customer="fer", timestamp=T0, traits={"plan": "premium"}))  # no event
    assert _figures(db, shop, PREMIUM, cache)["awareness"][1] == 3
    assert {r.customer for r in drill(db, shop.id, "shop", PREMIUM, "awareness", "reached", cache).rows} == \
        {"ana", "eva", "fer"}
    segments.update_segment(db, shop.id, "premium", SegmentUpdate.model_validate(
        {"rule": [{"field": "traits.plan", "op": "eq", "value": "basic"}]}), utcnow(), actor=Actor.cli("tests"))
    assert _figures(db, shop, PREMIUM, cache)["awareness"][1] == 1
    assert {r.customer for r in drill(db, shop.id, "shop", PREMIUM, "awareness", "reached", cache).rows} == {"bea"}


def test_an_unknown_segment_is_not_found(db: Session, shop: OrgHandle) -> None:
    with pytest.raises(NotFound):
        journey_map.journey_map(db, shop.id, "shop", MapFilters(segment="nobody"), ViewCache(), rows=map_rows())
    with pytest.raises(NotFound):
        drill(db, shop.id, "shop", MapFilters(segment="nobody"), "awareness", "reached", ViewCache())
