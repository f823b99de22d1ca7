"""The demo organization: services across the contact levels, live processes in every moment, loaded once."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.catalog import service as catalog
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.demo.journeys import SPAN, simulate
from momentos.demo.live import live_events
from momentos.demo.loader import load_demo
from momentos.demo.people import make_people
from momentos.demo.scenario import SERVICES
from momentos.kit.clock import utcnow
from momentos.models import Customer, Event, Process
from momentos.orgs.service import authenticate
from momentos.processes.service import count_by_moment
from tests.factories import REACTIONS

CUSTOMERS = 60


@pytest.fixture
def demo(db: Session) -> dict[str, Any]:
    return load_demo(db, customers=CUSTOMERS, public_url="http://127.0.0.1:8000", reactions=REACTIONS)


def _org_id(db: Session, demo: dict[str, Any]) -> int:
    principal = authenticate(db, demo["admin_key"])
    assert principal is not None
    return principal.org_id


def test_services_span_high_medium_and_low_contact(db: Session, demo: dict[str, Any]) -> None:
    levels = {s["key"]: s["contact_level"] for s in demo["services"]}
    assert len(levels) >= 3
    assert {"high", "medium", "low"} <= set(levels.values())
    services = catalog.list_services(db, _org_id(db, demo))
    assert all(s.name_es and s.name_en and s.description_es and s.description_en for s in services)


def test_every_service_has_touchpoints_on_all_eight_moments(db: Session, demo: dict[str, Any]) -> None:
    org_id = _org_id(db, demo)
    for service in catalog.list_services(db, org_id):
        touchpoints = catalog.list_touchpoints(db, org_id, service.id)
        assert {tp.moment for tp in touchpoints} == set(CANONICAL_KEYS), service.key
        assert {tp.initiator for tp in touchpoints} == {"customer", "company"}
    assert any(tp.intensity is not None for s in catalog.list_services(db, org_id)
               for tp in catalog.list_touchpoints(db, org_id, s.id))


def test_every_service_has_processes_standing_in_each_moment(db: Session, demo: dict[str, Any]) -> None:
    org_id = _org_id(db, demo)
    for service in catalog.list_services(db, org_id):
        by_moment = count_by_moment(db, org_id, service.id)
        assert set(by_moment) == set(CANONICAL_KEYS), (service.key, by_moment)


def test_some_process_renewed_into_a_second_cycle(db: Session, demo: dict[str, Any]) -> None:
    org_id = _org_id(db, demo)
    renewed = db.scalars(select(Process).where(Process.org_id == org_id, Process.cycle >= 2)).all()
    assert {p.service_id for p in renewed} == {s.id for s in catalog.list_services(db, org_id)}


def test_some_history_moves_back_from_support_to_delivery(db: Session, demo: dict[str, Any]) -> None:
    stays = db.execute(select(Event.process_id, Event.moment, Event.stay_cycle)
                       .where(Event.org_id == _org_id(db, demo), Event.stay_seq.is_not(None))
                       .order_by(Event.process_id, Event.stay_seq)).all()
    backward = {(a.moment, b.moment) for a, b in pairwise(stays)
                if a.process_id == b.process_id and a.stay_cycle == b.stay_cycle
                and CANONICAL_KEYS.index(b.moment) < CANONICAL_KEYS.index(a.moment)}
    assert ("support", "delivery") in backward


def test_customers_are_bilingual_with_time_zones_and_events_are_recent(db: Session, demo: dict[str, Any]) -> None:
    org_id = _org_id(db, demo)
    people = db.scalars(select(Customer).where(Customer.org_id == org_id)).all()
    assert len(people) == demo["customers"] == CUSTOMERS
    languages = Counter(c.language for c in people)
    assert set(languages) == {"es", "en"}
    assert languages["es"] > languages["en"]
    assert len({c.timezone for c in people}) >= 4
    assert all(c.email and c.email.endswith("@example.com") and c.name and c.preferred_channels for c in people)
    assert len({c.email for c in people}) == len(people)
    first, last = db.execute(select(func.min(Event.timestamp), func.max(Event.timestamp))
                             .where(Event.org_id == org_id)).one()
    now = utcnow()
    assert now - SPAN - timedelta(days=1) <= first
    assert last <= now
    assert demo["events"] == db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org_id))


def test_second_run_loads_no_history_again_and_keeps_the_keys_it_printed(db: Session, demo: dict[str, Any]) -> None:
    later = utcnow() + timedelta(minutes=5)
    kept = load_demo(db, customers=CUSTOMERS, reactions=REACTIONS, keep=demo, now=later)
    # Only today's live events again (4 per live customer, as new processes), so that the demo moves on each start.
    live = len(live_events(later))
    assert (kept["customers"], kept["processes"], kept["events"]) == (
        demo["customers"], demo["processes"] + live // 2, demo["events"] + live)
    # A repeat within the same minute stores nothing twice.
    again_now = load_demo(db, customers=CUSTOMERS, reactions=REACTIONS, keep=demo, now=later)
    assert (again_now["processes"], again_now["events"]) == (kept["processes"], kept["events"])
    assert (kept["admin_key"], kept["write_key"], kept["credentials"]) == (demo["admin_key"], demo["write_key"],
                                                                           "kept")
    # Keys that do not work for the demo organization (or none remembered) are replaced, and the answer says so.
    again = load_demo(db, customers=CUSTOMERS, reactions=REACTIONS,
                      keep={"admin_key": demo["write_key"], "write_key": "mw_not-a-key"})
    assert again["organization"] == "demo" and again["credentials"] == "new"
    assert again["admin_key"] != demo["admin_key"]
    assert again["write_key"] != demo["write_key"]
    admin, writer = authenticate(db, again["admin_key"]), authenticate(db, again["write_key"])
    assert admin is not None
    assert writer is not None
    assert (admin.kind, admin.org_slug) == ("admin", "demo")
    assert (writer.kind, writer.org_id) == ("write", admin.org_id)


def test_every_scripted_activity_leads_to_its_moment() -> None:
    for s in SERVICES:
        moments = {a: tp.moment for tp in s.touchpoints for a in tp.activities}
        assert len(moments) == sum(len(tp.activities) for tp in s.touchpoints), "an activity in two touchpoints"
        for moment, visits in s.script.items():
            assert all(moments[v[0]] == moment for v in visits), (s.key, moment)
            assert all(a in moments for v in visits for a in v)
        assert (moments[s.back[0]], moments[s.renew[0]]) == ("delivery", "purchase")


def test_simulation_is_deterministic_for_a_seed() -> None:
    now = utcnow()

    def run() -> list[tuple[str, str]]:
        rng = random.Random(7)
        return [(e.message_id, e.activity) for e in simulate(rng, make_people(rng, 30), SERVICES, now).events]

    assert run() == run()


def test_demo_map_shows_real_promise_and_emotion_numbers(db: Session, demo: dict[str, Any]) -> None:
    from momentos.dashboard import journey_map
    from momentos.dashboard.filters import MapFilters
    from momentos.dashboard.sources import map_rows
    from momentos.models import Feedback, PromiseInstance
    from momentos.promises import indicators

    org_id = _org_id(db, demo)
    states = Counter(db.scalars(select(PromiseInstance.state).where(PromiseInstance.org_id == org_id)))
    assert states["kept"] > 0 and states["broken"] > 0  # opened by ingestion, evaluated at the demo's "now"
    bank = journey_map.journey_map(db, org_id, "banconube", MapFilters(), rows=map_rows())
    rows = {r.key: r.cells for r in bank.extra_rows}
    assert rows["promises"] is not None
    (ind,) = indicators.compliance(db, org_id, by="moment", period="all", service_id=bank.service.id)
    parts = dict(rows["promises"]["delivery"].parts)
    assert (parts["Kept"], parts["Not kept"]) == (str(ind.kept), str(ind.broken)) and ind.kept + ind.broken > 0
    assert rows["emotion"] is not None and "delivery" in rows["emotion"]  # sentiment of analysed comments
    cinema_map = journey_map.journey_map(db, org_id, "cines-aurora", MapFilters(), rows=map_rows())
    cinema = {r.key: r.cells for r in cinema_map.extra_rows}
    assert cinema["emotion"] is not None
    survey = dict(cinema["emotion"]["use"].parts)
    assert float(survey["CSAT (1–5)"]) > 1 and "NPS" in survey
    analysed = db.scalars(select(Feedback.language).where(Feedback.org_id == org_id,
                                                          Feedback.analyzed_at.is_not(None))).all()
    assert {"es", "en"} <= set(analysed) and len(analysed) >= 30
    count = select(func.count()).select_from(Feedback).where(Feedback.org_id == org_id)
    before = db.scalar(count)
    again = load_demo(db, customers=CUSTOMERS, reactions=REACTIONS)
    # a later start adds only today's live events (no feedback, no history again)
    assert again["events"] == demo["events"] + len(live_events(utcnow())) and db.scalar(count) == before


def test_demo_customers_have_plans_and_the_segments_show_smaller_real_numbers(db: Session,
                                                                              demo: dict[str, Any]) -> None:
    from momentos.dashboard import journey_map
    from momentos.dashboard.filters import MapFilters
    from momentos.dashboard.sources import map_rows
    from momentos.segments import service as segments

    org_id = _org_id(db, demo)
    plans = Counter(t.get("plan") for t in db.scalars(select(Customer.traits).where(Customer.org_id == org_id)))
    assert set(plans) == {"basic", "premium"} and plans["premium"] > 5 and plans["basic"] > plans["premium"]
    found = {s.key: segments.count_members(db, org_id, s) for s in segments.list_segments(db, org_id)}
    assert set(found) == {"premium", "spain"}
    assert found["premium"] == plans["premium"] and 0 < found["spain"] < CUSTOMERS
    for service in catalog.list_services(db, org_id):
        everyone = journey_map.journey_map(db, org_id, service.key, MapFilters(), rows=map_rows())
        premium = journey_map.journey_map(db, org_id, service.key, MapFilters(segment="premium"), rows=map_rows())
        reached = [(int(a.reached.value or 0), int(b.reached.value or 0))
                   for a, b in zip(everyone.columns, premium.columns, strict=True)]
        assert all(p <= a for a, p in reached) and 0 < sum(p for _, p in reached) < sum(a for a, _ in reached)


def test_the_demo_shows_deviations_of_several_kinds(db: Session, demo: dict[str, Any]) -> None:
    """Conformance (issue #18): the demo's journeys skip moments, go back, miss contacts, overstay and go over the
    contact budget, in every service (some processes conform, some do not)."""
    org_id = _org_id(db, demo)
    kinds: Counter[str] = Counter()
    for service in catalog.list_services(db, org_id):
        read = analytics.conformance(db, org_id, service.key)
        assert read.processes > 0 and read.rate is not None and 0 < read.rate < 1, service.key
        kinds.update(d.kind for d in read.deviations if d.moment == "*" and d.channel == "*")
    assert {"skipped", "backward", "missed_contact", "over_budget", "overstay"} <= set(kinds), kinds
