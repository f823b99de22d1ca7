"""A segment filter takes the full path and equals the same views computed over the segment's customers' events
alone (here: a second organization that only received those events)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.analytics import service as analytics
from momentos.analytics.cli import register
from momentos.analytics.log import LogFilter, load_log
from momentos.analytics.schemas import AnalyticsQuery
from momentos.audit.service import Actor
from momentos.cli import app
from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from momentos.db import make_session_factory, unit_of_work
from momentos.errors import NotFound
from momentos.events.schemas import EventIn
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.segments.schemas import SegmentCreate
from momentos.web.cli import register as register_report
from tests.conftest import OrgHandle, make_org
from tests.factories import SHOP_TOUCHPOINTS, T0, event, make_service, send

ACTIVITIES = list(SHOP_TOUCHPOINTS)
PREMIUM = {"key": "premium", "name_es": "Premium", "name_en": "Premium",
           "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"},
                    {"field": "traits.age", "op": "gt", "value": 25}]}
VIEWS = ("dfg", "performance_dfg", "start_end", "variants", "funnel", "time_in_moment", "moment_indicators")


def _journeys(seed: int = 7, customers: int = 40) -> tuple[dict[str, dict[str, Any]], list[EventIn]]:
    rng = random.Random(seed)
    traits, events = {}, []
    for i in range(customers):
        who = f"c{i:02d}"
        traits[who] = {"plan": rng.choice(["basic", "premium"]), "age": rng.randint(18, 60)}
        minutes = rng.uniform(0, 600)
        for _ in range(rng.randint(1, 7)):
            minutes += rng.uniform(1, 300)
            events.append(event(who, rng.choice(ACTIVITIES), minutes, channel=rng.choice(["web", "email", "app"]),
                                service="shop"))
    return traits, events


def _member(t: dict[str, Any]) -> bool:
    return bool(t["plan"] == "premium" and t["age"] > 25)


def _load(db: Session, org_id: int, traits: dict[str, dict[str, Any]], events: list[EventIn]) -> None:
    make_service(db, org_id, key="shop")
    for who, t in traits.items():
        identify(db, org_id, IdentifyIn(customer=who, timestamp=T0, traits=t))
    send(db, org_id, *(e.model_copy(update={"message_id": f"{org_id}-{e.message_id}"}) for e in events))


@pytest.fixture
def orgs(db: Session, org: OrgHandle, other_org: OrgHandle) -> tuple[int, int]:
    """(everyone with a segment defined, only the segment's customers)."""
    traits, events = _journeys()
    members = {who for who, t in traits.items() if _member(t)}
    assert 3 < len(members) < len(traits) - 3
    _load(db, org.id, traits, events)
    segments.create_segment(db, org.id, SegmentCreate.model_validate(PREMIUM), utcnow(), actor=Actor.cli("tests"))
    _load(db, other_org.id, {w: t for w, t in traits.items() if w in members},
          [e for e in events if e.customer in members])
    return org.id, other_org.id


def _dump(result: Any) -> Any:
    rows = result if isinstance(result, list) else [result]
    return [r.model_dump(mode="json") for r in rows]


@pytest.mark.parametrize("by", ["activity", "moment"])
@pytest.mark.parametrize("view", ["model", "canonical"])
def test_segment_filter_equals_the_views_over_the_members_events_only(db: Session, orgs: tuple[int, int], by: str,
                                                                      view: str) -> None:
    everyone, members_only = orgs
    for name in VIEWS:
        compute = getattr(analytics, name)
        q = AnalyticsQuery(service="shop", by=by, view=view)  # type: ignore[arg-type]
        filtered = compute(db, everyone, q.model_copy(update={"segment": "premium"}))
        assert _dump(filtered) == _dump(compute(db, members_only, q, full=True)), name
        assert _dump(filtered) != _dump(compute(db, everyone, q)), name  # the filter changes the answer


def test_segment_filter_never_reads_the_aggregates_and_combines_with_other_filters(db: Session,
                                                                                   orgs: tuple[int, int]) -> None:
    everyone, members_only = orgs
    q = AnalyticsQuery(service="shop", segment="premium")
    assert analytics.filtered(q) and not analytics.aggregated(db, everyone, q)
    both = AnalyticsQuery(service="shop", channel="web", by="moment")
    assert _dump(analytics.funnel(db, everyone, both.model_copy(update={"segment": "premium"}))) == \
        _dump(analytics.funnel(db, members_only, both))


def test_the_log_keeps_exactly_the_members_events(db: Session, orgs: tuple[int, int]) -> None:
    everyone, _ = orgs
    segment = segments.get_segment(db, everyone, "premium")
    ids = set(db.scalars(segments.members_query(everyone, segment)))
    full = load_log(db, everyone)
    expected = full.filter(pl.col("customer_id").is_in(list(ids))).sort("event_id")
    got = load_log(db, everyone, LogFilter(segment="premium")).sort("event_id")
    assert got.height == expected.height > 0
    assert got.equals(expected)


def test_an_unknown_segment_is_a_clear_404(db: Session, orgs: tuple[int, int]) -> None:
    everyone, _ = orgs
    with pytest.raises(NotFound) as raised:
        analytics.funnel(db, everyone, AnalyticsQuery(service="shop", segment="nobody"))
    assert raised.value.code == "segment_not_found"


register(app)
register_report(app)


def test_cli_and_report_take_a_segment(engine: Engine, tmp_path: Path) -> None:
    traits, events = _journeys(seed=3, customers=20)
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        _load(session, org.id, traits, events)
        segments.create_segment(session, org.id, SegmentCreate.model_validate(PREMIUM), utcnow(),
            actor=Actor.cli("tests"))
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    result = runner.invoke(app, ["analytics", "funnel", "--org", org.slug, "--service", "shop", "--segment",
                                 "premium", "--json"], env=env)
    assert result.exit_code == 0, result.output
    with unit_of_work(make_session_factory(engine)) as session:
        q = AnalyticsQuery(service="shop", segment="premium")
        assert json.loads(result.stdout) == _dump(analytics.funnel(session, org.id, q))
    bad = runner.invoke(app, ["analytics", "funnel", "--org", org.slug, "--segment", "nobody"], env=env)
    assert bad.exit_code == 2 and "Segment not found" in bad.output
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--org", org.slug, "--service", "shop", "--segment", "premium",
                                 "--lang", "en", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "Customer segment: Premium" in out.read_text()
    exported = tmp_path / "log.csv"
    result = runner.invoke(app, ["export", "--org", org.slug, "--segment", "premium", "--out", str(exported)],
                           env=env)
    assert result.exit_code == 0, result.output
    members = {w for w, t in traits.items() if _member(t)}
    assert set(pl.read_csv(exported)["customer"].unique()) == members
