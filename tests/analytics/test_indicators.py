"""Moment indicators on the hand-made journey of scenario.py, with every figure worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery, MomentIndicators
from tests.analytics.scenario import load_shop
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service, send

MIN = 60.0


NEXT_DAY = T0 + timedelta(days=1)
"""The instant the shop is read at: every open stay is within its moment's usual time (under 5 left stays: the
30-day fallback)."""


@pytest.fixture
def shop(db: Session, org: OrgHandle) -> MomentIndicators:
    load_shop(db, org.id)
    return analytics.moment_indicators(db, org.id, AnalyticsQuery(service="shop"), now=NEXT_DAY)


def test_funnel_counts_reach_progress_and_outcomes_per_moment(shop: MomentIndicators) -> None:
    got = {s.moment: (s.reached, s.customers, s.entries, s.progressed, s.current) for s in shop.funnel}
    assert shop.moments == [s.moment for s in shop.funnel]
    assert got == {
        "awareness": (3, 3, 3, 3, 0),        # alice, bob, carol all moved on
        "first_contact": (3, 3, 3, 2, 1),    # dave stays
        "consideration": (3, 3, 3, 1, 2),    # only alice buys; carol skipped first contact
        "purchase": (1, 1, 1, 1, 0),
        "delivery": (1, 1, 1, 0, 1),         # order_delivered does not re-enter delivery
        "use": (0, 0, 0, 0, 0), "support": (0, 0, 0, 0, 0), "loyalty": (0, 0, 0, 0, 0),
    }
    split = {s.moment: (s.moved_on, s.still_here, s.dropped) for s in shop.funnel}
    assert split == {  # a day after: the ones standing in a moment are in progress, none dropped
        "awareness": (3, 0, 0), "first_contact": (2, 1, 0), "consideration": (1, 2, 0), "purchase": (1, 0, 0),
        "delivery": (0, 1, 0), "use": (0, 0, 0), "support": (0, 0, 0), "loyalty": (0, 0, 0)}
    assert [s.drop_off for s in shop.funnel] == [0] * 8
    conversion = {s.moment: s.conversion for s in shop.funnel}
    assert conversion["awareness"] == 1.0
    assert conversion["first_contact"] == pytest.approx(2 / 3)
    assert conversion["consideration"] == pytest.approx(1 / 3)
    assert conversion["use"] is None
    assert shop.funnel[2].drop_off_rate == 0


def test_open_stays_past_the_usual_time_count_as_dropped(db: Session, org: OrgHandle) -> None:
    load_shop(db, org.id)
    funnel = analytics.funnel(db, org.id, AnalyticsQuery(service="shop"), now=T0 + timedelta(days=31))
    assert [(s.moved_on, s.still_here, s.dropped) for s in funnel][:5] == [
        (3, 0, 0), (2, 0, 1), (1, 0, 2), (1, 0, 0), (0, 0, 1)]
    assert funnel[2].drop_off_rate == pytest.approx(2 / 3)
    assert all(s.usual_from == "fallback" and s.usual_s == 30 * 86_400 for s in funnel)


def test_time_in_moment_uses_closed_stays_with_median_and_linear_p90(shop: MomentIndicators) -> None:
    t = {s.moment: s for s in shop.time_in_moment}
    # awareness left after 10, 20 and 40 minutes
    assert (t["awareness"].closed, t["awareness"].open) == (3, 0)
    assert t["awareness"].median_s == 20 * MIN
    assert t["awareness"].mean_s == pytest.approx(70 / 3 * MIN)
    assert t["awareness"].p90_s == pytest.approx((20 + 0.8 * 20) * MIN)  # rank 0.9 * 2 = 1.8
    # first contact: alice 20 min, bob 30 min; dave still there
    assert (t["first_contact"].closed, t["first_contact"].open) == (2, 1)
    assert t["first_contact"].median_s == 25 * MIN
    assert t["first_contact"].p90_s == pytest.approx(29 * MIN)
    assert (t["consideration"].closed, t["consideration"].median_s) == (1, 30 * MIN)
    assert t["purchase"].median_s == 60 * MIN
    assert (t["delivery"].stays, t["delivery"].closed, t["delivery"].median_s) == (1, 0, None)


def test_channel_mix_counts_every_event_in_the_stay_in_effect(shop: MomentIndicators) -> None:
    mix = {m.moment: m for m in shop.channel_mix}
    assert mix["delivery"].events == 2
    assert {(c.channel, c.events, c.share) for c in mix["delivery"].channels} == {("email", 1, 0.5), ("sms", 1, 0.5)}
    assert [(c.channel, c.events) for c in mix["first_contact"].channels] == [("web", 2), ("app", 1)]
    assert mix["use"].events == 0


def test_contacts_split_inbound_outbound_against_the_low_contact_budget(shop: MomentIndicators) -> None:
    c = {f.moment: f for f in shop.contacts}
    # low contact: delivery and purchase are proactive (1 planned message each), awareness has no contact
    assert (c["delivery"].inbound, c["delivery"].outbound, c["delivery"].budget) == (0, 2, 1)
    assert (c["delivery"].outbound_per_customer, c["delivery"].over_budget) == (2.0, 1)
    assert (c["first_contact"].inbound, c["first_contact"].customers) == (3, 3)
    assert c["first_contact"].inbound_per_customer == 1.0
    assert (c["awareness"].budget, c["purchase"].budget) == (0, 1)
    assert c["purchase"].over_budget == 0


def test_moment_view_gives_stay_dfg_and_variants(db: Session, org: OrgHandle) -> None:
    load_shop(db, org.id)
    q = AnalyticsQuery(service="shop", by="moment")
    edges = {(e.source, e.target): e for e in analytics.performance_dfg(db, org.id, q)}
    assert {k: e.frequency for k, e in edges.items()} == {
        ("awareness", "first_contact"): 2, ("first_contact", "consideration"): 2,
        ("awareness", "consideration"): 1, ("consideration", "purchase"): 1, ("purchase", "delivery"): 1}
    assert edges[("awareness", "first_contact")].mean_s == 15 * MIN
    assert edges[("first_contact", "consideration")].median_s == 25 * MIN
    variants = analytics.variants(db, org.id, q)
    assert {tuple(v.variant) for v in variants} == {
        ("awareness", "first_contact", "consideration", "purchase", "delivery"),
        ("awareness", "first_contact", "consideration"), ("awareness", "consideration"), ("first_contact",)}
    assert {(v.count, v.share) for v in variants} == {(1, 0.25)}
    ends = analytics.start_end(db, org.id, q)
    assert ends.start == {"awareness": 3, "first_contact": 1}


def test_filters_by_channel_and_period(db: Session, org: OrgHandle) -> None:
    load_shop(db, org.id)
    by_channel = analytics.dfg(db, org.id, AnalyticsQuery(channel="web"))
    assert sum(e.frequency for e in by_channel) == 3 + 2 + 1  # pairs among 4 web events of alice, 3 of bob, 2 of carol
    later = analytics.start_end(db, org.id, AnalyticsQuery(start=T0 + timedelta(minutes=15),
                                                           end=T0 + timedelta(minutes=121)))
    assert later.start == {"signed_up": 1, "product_viewed": 2}
    assert later.end == {"order_shipped": 1, "product_viewed": 2}


def test_a_preset_model_is_shown_in_its_own_moments_or_mapped_to_the_eight(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="mot", journey_model="moments-of-truth-5",
                 touchpoints={"ad_clicked": "zmot", "order_placed": "fmot", "ticket_opened": "tmot"})
    send(db, org.id, event("eve", "ad_clicked", 0, service="mot"), event("eve", "order_placed", 5, service="mot"),
         event("eve", "ticket_opened", 50, service="mot"))
    own = analytics.variants(db, org.id, AnalyticsQuery(service="mot", by="moment"))
    assert [v.variant for v in own] == [["zmot", "fmot", "tmot"]]
    mapped = analytics.variants(db, org.id, AnalyticsQuery(service="mot", by="moment", view="canonical"))
    assert [v.variant for v in mapped] == [["awareness", "purchase", "support"]]
    funnel = analytics.funnel(db, org.id, AnalyticsQuery(service="mot", view="canonical"))
    assert [s.moment for s in funnel if s.reached] == ["awareness", "purchase", "support"]
    assert [s.reached for s in analytics.funnel(db, org.id, AnalyticsQuery(service="mot"))] == [1, 1, 0, 1, 0]
