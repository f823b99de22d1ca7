"""Incremental aggregates equal a full recomputation of the log, whatever arrives in whatever order.

Random batches (duplicated message ids within and across batches, events out of time order, two services with
different journey models, events without a service, customers erased between batches) go through the real
ingestion service; the refresh job's catch-up runs at random points, or never after the first build (then answers
come from the stored aggregates plus the in-memory fold alone); then every aggregated answer (DFG with
frequencies and performance, start/end, variants, funnel with its outcomes at several instants, time in moment,
and the journey map's moment indicators with channel mix and contacts per moment; by activity and by moment; for
the organization, per service, in a service's own model and mapped onto the 8 contact moments) must equal the full
path's answer computed from the log. Events come at colliding times too, on random channels, started by the
customer or the company (or as their touchpoint says).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from momentos.analytics import conformance_reads, incremental, log
from momentos.analytics import service as analytics
from momentos.analytics.log import LogFilter
from momentos.analytics.schemas import AnalyticsQuery
from momentos.errors import NotFound
from momentos.events.schemas import EventIn
from momentos.privacy.service import erase_customer
from momentos.promises import definitions
from momentos.promises.schemas import PromiseCreate
from tests.conftest import make_org
from tests.factories import SHOP_TOUCHPOINTS, T0, TESTS, make_service, send

ALT_TOUCHPOINTS = {"trial_started": "purchase", "box_delivered": "delivery", "repair_asked": "maintenance",
                   "item_used": "use", "returned": "disposal"}
ACTIVITIES = [*SHOP_TOUCHPOINTS, *ALT_TOUCHPOINTS, "note", "login"]
CUSTOMERS = ["ana", "ben", "cai", "dee"]

QUERIES = [AnalyticsQuery(by=by, service=service, view=view)
           for by in ("activity", "moment") for service in (None, "shop", "alt")
           for view in ("model", "canonical")]
VIEWS: dict[str, Callable[..., Any]] = {
    "dfg": analytics.dfg, "performance_dfg": analytics.performance_dfg, "start_end": analytics.start_end,
    "variants": analytics.variants, "funnel": analytics.funnel, "time_in_moment": analytics.time_in_moment,
    "moment_indicators": analytics.moment_indicators,
    # outcomes at fixed instants: amid the events (usual times from their stays) and where the 30-day fallback's
    # boundary falls amid the entries (whether an open stay is still within its moment's usual time)
    "funnel_amid": partial(analytics.funnel, now=T0 + timedelta(hours=3)),
    "funnel_fallback_edge": partial(analytics.funnel, now=T0 + timedelta(days=30, hours=3))}

events = st.builds(
    lambda mid, customer, activity, ms, process, service, channel, initiator: EventIn(
        message_id=f"m{mid}", customer=customer, activity=activity, timestamp=T0 + timedelta(milliseconds=ms),
        process=process, service=service, channel=channel, initiator=initiator),
    mid=st.integers(0, 40), customer=st.sampled_from(CUSTOMERS), activity=st.sampled_from(ACTIVITIES),
    ms=st.one_of(st.integers(0, 6 * 3600 * 1000), st.sampled_from([0, 60_000])),
    process=st.sampled_from([None, None, "p1", "p2"]),
    service=st.sampled_from([None, None, None, "shop"]), channel=st.sampled_from([None, "email", "phone", "web"]),
    initiator=st.sampled_from([None, "customer", "company"]))
changes = [st.tuples(st.just("batch"), st.lists(events, min_size=1, max_size=12)),
           st.tuples(st.just("erase"), st.sampled_from(CUSTOMERS))]
steps = st.lists(st.one_of(*changes, st.tuples(st.just("catch_up"), st.none())), min_size=1, max_size=8)
steps_without_refresh = st.lists(st.one_of(*changes), min_size=1, max_size=8)
AGGREGATE_TABLES = ("analytics_state", "analytics_cases", "analytics_pairs", "analytics_durations",
                    "analytics_buckets", "analytics_variants", "analytics_ends", "analytics_moments",
                    "analytics_moment_customers", "analytics_channels", "analytics_moment_contacts",
                    "analytics_contact_spread", "analytics_conformance")


def _setup(db: Session) -> int:
    org = make_org(db)
    make_service(db, org.id, key="shop")
    make_service(db, org.id, key="alt", touchpoints=ALT_TOUCHPOINTS, journey_model="buyer-experience-6")
    definitions.create(db, org.id, PromiseCreate.model_validate({  # stays in purchase beyond 2 h overstay
        "key": "quick", "service": "shop", "moment": "purchase", "kind": "time",
        "text": {"es": "Rápido", "en": "Quick"},
        "rule": {"type": "time", "start_activity": "order_placed", "stop_activity": "order_shipped",
                 "target_hours": 2}}), actor=TESTS)
    return org.id


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal, floats to a microsecond (mean and quantiles are summed in a different order)."""
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, abs=1e-6), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@contextlib.contextmanager
def one_snapshot() -> Iterator[None]:
    """Within one check nothing is written (``assert_reads_agree_and_write_nothing`` makes sure), so every fast read
    gets the same fold of what came after the stored aggregates and every full read the same log for the same
    filter: each is computed once per check instead of once per read (200+ reads; the fold alone was two thirds of
    the test's time). Each read still adds that fold to the stored aggregates, or computes its answer from that
    log, itself, so the check keeps its power."""
    folds: dict[tuple[int, int], incremental.Pending | None] = {}
    logs: dict[tuple[int, int, LogFilter | None], pl.DataFrame] = {}
    compute_fold, compute_log = incremental.pending, log.load_log

    def fold(session: Session, org_id: int) -> incremental.Pending | None:
        key = (id(session), org_id)
        if key not in folds:
            folds[key] = compute_fold(session, org_id)
        return folds[key]

    def load(session: Session, org_id: int, flt: LogFilter | None = None) -> pl.DataFrame:
        key = (id(session), org_id, flt)
        if key not in logs:
            logs[key] = compute_log(session, org_id, flt)
        return logs[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental, "pending", fold)
        for module in (analytics, conformance_reads):
            patch.setattr(module, "load_log", load)
        yield


def assert_paths_agree(db: Session, org_id: int) -> None:
    with one_snapshot():
        _assert_paths_agree(db, org_id)


def _assert_paths_agree(db: Session, org_id: int) -> None:
    for q in QUERIES:
        for name, view in VIEWS.items():
            fast = [x.model_dump() for x in _as_list(view(db, org_id, q))]
            full = [x.model_dump() for x in _as_list(view(db, org_id, q, full=True))]
            _same(fast, full, f"{name} {q.by} {q.service} {q.view}")
    for service in ("shop", "alt"):
        fast_c = analytics.conformance(db, org_id, service).model_dump()
        _same(fast_c, analytics.conformance(db, org_id, service, full=True).model_dump(), f"conformance {service}")


def _as_list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


def stored_aggregates(db: Session, org_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the organization's aggregate tables and its watermark, to check that reads wrote nothing."""
    return {table: sorted(tuple(map(str, r)) for r in db.execute(
                text(f"SELECT * FROM {table} WHERE org_id = :org"), {"org": org_id}))
            for table in AGGREGATE_TABLES}


def _play(db: Session, org_id: int, first: list[EventIn], rest: list[Any]) -> None:
    send(db, org_id, *first)
    incremental.catch_up(db, org_id)  # first build: from the whole log
    for kind, arg in rest:
        if kind == "batch":
            send(db, org_id, *arg)
        elif kind == "catch_up":
            incremental.catch_up(db, org_id)
        else:
            with contextlib.suppress(NotFound):
                erase_customer(db, org_id, arg)


def assert_reads_agree_and_write_nothing(db: Session, org_id: int) -> None:
    before = stored_aggregates(db, org_id)
    assert incremental.pending(db, org_id) is not None  # the aggregates (and the fold) answer, not the full path
    assert_paths_agree(db, org_id)
    assert stored_aggregates(db, org_id) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.tuples(st.lists(events, min_size=1, max_size=12), steps))
def test_incremental_answers_equal_full_recomputation(db: Session, plan: tuple[list[EventIn], list[Any]]) -> None:
    """The refresh job ran at random points (partway): stored aggregates plus the fold of what came after."""
    first, rest = plan
    nested = db.begin_nested()
    try:
        org_id = _setup(db)
        _play(db, org_id, first, rest)
        assert_reads_agree_and_write_nothing(db, org_id)
        incremental.catch_up(db, org_id)  # the job catches up: the same answers from the stored aggregates alone
        pending = incremental.pending(db, org_id)
        assert pending is not None and pending.delta is None
        assert_paths_agree(db, org_id)
    finally:
        nested.rollback()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.tuples(st.lists(events, min_size=1, max_size=12), steps_without_refresh))
def test_answers_from_the_fold_alone_equal_full_recomputation(db: Session,
                                                              plan: tuple[list[EventIn], list[Any]]) -> None:
    """No worker runs after the first build: every answer is the stored aggregates plus the in-memory fold."""
    first, rest = plan
    nested = db.begin_nested()
    try:
        org_id = _setup(db)
        _play(db, org_id, first, rest)
        assert_reads_agree_and_write_nothing(db, org_id)
    finally:
        nested.rollback()


def test_catch_up_after_a_batch_touches_only_that_batch_cases(db: Session) -> None:
    org_id = _setup(db)
    send(db, org_id, *[EventIn(message_id=f"a{i}", customer=c, activity="signed_up", timestamp=T0, service="shop")
                       for i, c in enumerate(CUSTOMERS)])
    first = incremental.catch_up(db, org_id)
    assert first is not None and first.full and first.cases == len(CUSTOMERS)
    send(db, org_id, EventIn(message_id="b1", customer="ana", activity="order_placed",
                             timestamp=T0 + timedelta(minutes=5), service="shop"),
         EventIn(message_id="a0", customer="ana", activity="ad_clicked", timestamp=T0, service="shop"))  # duplicate
    second = incremental.catch_up(db, org_id)
    assert second is not None and not second.full and second.cases == 1
    assert incremental.catch_up(db, org_id) is None
    assert_paths_agree(db, org_id)


def test_a_changed_journey_mapping_rebuilds_the_aggregates(db: Session) -> None:
    org_id = _setup(db)
    send(db, org_id, EventIn(message_id="x", customer="ana", activity="signed_up", timestamp=T0, service="shop"))
    incremental.catch_up(db, org_id)
    make_service(db, org_id, key="third", touchpoints={})
    assert incremental.pending(db, org_id) is None  # until the job rebuilds them, reads take the full path
    assert_paths_agree(db, org_id)
    again = incremental.catch_up(db, org_id)
    assert again is not None and again.full


def test_reads_take_the_full_path_before_a_first_build_and_when_most_cases_are_new(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    org_id = _setup(db)
    send(db, org_id, *[EventIn(message_id=f"a{i}", customer=c, activity="signed_up", timestamp=T0, service="shop")
                       for i, c in enumerate(CUSTOMERS[:2])])
    assert incremental.pending(db, org_id) is None  # never refreshed
    assert_paths_agree(db, org_id)
    incremental.catch_up(db, org_id)
    send(db, org_id, *[EventIn(message_id=f"b{i}", customer=c, activity="order_placed",
                               timestamp=T0 + timedelta(minutes=1), service="shop") for i, c in enumerate(CUSTOMERS)])
    pending = incremental.pending(db, org_id)
    assert pending is not None and pending.cases == len(CUSTOMERS) and pending.delta is not None
    monkeypatch.setattr(incremental, "_FOLD_MIN", 1)  # 4 touched cases of 2 known: more than an eighth
    before = stored_aggregates(db, org_id)
    assert incremental.pending(db, org_id) is None
    assert_paths_agree(db, org_id)
    assert stored_aggregates(db, org_id) == before
