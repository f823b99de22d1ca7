"""Drill-down: the processes (and their customers) behind one cell of the journey map.

Kinds: ``current`` (standing in the moment now), ``reached`` (entered it in the period), and of those the three
outcomes of analytics/outcomes.py: ``progressed`` (moved on: later entered a moment further along, or renewed from
the last moment), ``still_here`` (in it within its usual time), ``dropped`` (in it beyond the usual time, or left
it without moving on); ``over_budget`` (customers with
more company-started contacts in the moment than its budget), ``broken_promises`` (a promise of the moment not
kept, as ``promises.indicators`` counts it), ``deviated`` (a deviation from the service's designed journey in
the moment, analytics/conformance.py) and ``deviation_<kind>`` (a deviation of that kind; moment ``*``: in any
moment). Deviations are judged on every process of the service, whatever the period, channel and segment filters
(as the map's conformance row counts them). The sets are read from the same stays and events the
analytics indicators count, so a cell's number and its drill-down agree; a segment filter keeps only its members'
processes in every kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.analytics import conformance, indicators, views
from momentos.analytics import service as analytics
from momentos.analytics.log import CASE_KEY, LogFilter, load_log
from momentos.catalog import service as catalog
from momentos.dashboard.cache import ViewCache, cached, read_instant, segment_version
from momentos.dashboard.filters import MapFilters
from momentos.dashboard.journey_map import segment_members
from momentos.errors import NotFound
from momentos.models import Customer, Process, Service
from momentos.promises import service as promises

DEVIATION_KINDS = tuple(f"deviation_{k}" for k in conformance.KINDS)
KINDS = ("current", "reached", "progressed", "still_here", "dropped", "over_budget", "broken_promises", "deviated",
         *DEVIATION_KINDS)
ALL_MOMENTS = "*"
"""The moment of a deviation drill-down over every moment."""
LIMIT = 200


@dataclass(frozen=True)
class DrillRow:
    process_id: int
    reference: str
    customer: str
    current_moment: str | None
    entered_at: datetime | None


@dataclass(frozen=True)
class Drill:
    service: Service
    moment: str
    kind: str
    total: int
    rows: list[DrillRow]


def _stays(session: Session, org_id: int, service: Service, filters: MapFilters,
           stays_only: bool) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    q = filters.query(service.key)
    space = analytics.moment_space(session, org_id, q)
    log = load_log(session, org_id, LogFilter(service=q.service, channel=q.channel, start=q.start, end=q.end,
                                              segment=q.segment, stays_only=stays_only))
    return log, views.moment_steps(log, space.mapping), space.moments


_OUTCOMES = {"progressed": "moved_on", "still_here": "still_here", "dropped": "dropped"}


def _funnel_cases(stays: pl.DataFrame, moments: list[str], moment: str, kind: str, now: datetime) -> list[int]:
    per_case = indicators.outcome_cases(stays, moments, now).filter(pl.col("moment") == moment)
    if kind in _OUTCOMES:
        per_case = per_case.filter(pl.col("outcome") == _OUTCOMES[kind])
    return [int(k) for k in per_case.get_column(CASE_KEY).to_list()]


def _over_budget_cases(session: Session, org_id: int, service: Service, filters: MapFilters,
                       moment: str) -> list[int]:
    log, stays, moments = _stays(session, org_id, service, filters, stays_only=False)
    budgets = analytics.budgets(session, org_id, analytics.moment_space(session, org_id, filters.query(service.key)))
    budget = (budgets or {}).get(moment)
    if budget is None:
        return []
    events = indicators.events_in_moments(log, stays, moments).filter(pl.col("in_moment") == moment)
    over = (events.group_by("customer_id").agg((pl.col("initiator") == "company").sum().alias("outbound"))
            .filter(pl.col("outbound") > budget).get_column("customer_id").to_list())
    cases = events.filter(pl.col("customer_id").is_in(over)).get_column(CASE_KEY).unique().to_list()
    return [int(k) for k in cases]


def _own(session: Session, org_id: int, service: Service, filters: MapFilters, moment: str) -> list[str]:
    """The moments of the service's own model a shown moment stands for."""
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    return [k for k in model.keys if model.to_canonical(k) == moment] if filters.view == "canonical" else [moment]


def _current_ids(session: Session, org_id: int, service: Service, filters: MapFilters, moment: str) -> list[int]:
    own = _own(session, org_id, service, filters, moment)
    stmt = select(Process.id).where(Process.org_id == org_id, Process.service_id == service.id,
                                    Process.current_moment.in_(own))
    members = segment_members(session, org_id, filters)
    if members is not None:
        stmt = stmt.where(Process.customer_id.in_(members))
    return list(session.scalars(stmt))


def drill(session: Session, org_id: int, service_key: str, filters: MapFilters, moment: str, kind: str,
          cache: ViewCache | None = None) -> Drill:
    service = catalog.get_service(session, org_id, service_key)
    if kind not in KINDS:
        raise NotFound("Unknown drill-down.", code="drill_not_found")
    now = read_instant()
    ids = cached(cache, session, org_id, ("drill", service.id, filters, moment, kind,
                                          segment_version(session, org_id, filters.segment), now),
                 lambda: _ids(session, org_id, service, filters, moment, kind, now))
    return Drill(service, moment, kind, len(ids), _rows(session, org_id, ids[:LIMIT]))


def _ids(session: Session, org_id: int, service: Service, filters: MapFilters, moment: str, kind: str,
         now: datetime) -> list[int]:
    if kind == "current":
        ids = _current_ids(session, org_id, service, filters, moment)
    elif kind == "over_budget":
        ids = _over_budget_cases(session, org_id, service, filters, moment)
    elif kind == "deviated" or kind in DEVIATION_KINDS:
        ids = _deviated(session, org_id, service, filters, moment, kind)
    elif kind == "broken_promises":
        q = filters.query(service.key)
        ids = promises.broken_processes(session, org_id, service.id, _own(session, org_id, service, filters, moment),
                                        q.start, q.end, segment_members(session, org_id, filters))
    else:
        _, stays, moments = _stays(session, org_id, service, filters, stays_only=True)
        if moment not in moments:
            raise NotFound("Unknown moment.", code="moment_not_found")
        ids = _funnel_cases(stays, moments, moment, kind, analytics.reference_time(filters.query(service.key), now))
    return sorted(i for i in ids if i > 0)


def _deviated(session: Session, org_id: int, service: Service, filters: MapFilters, moment: str,
              kind: str) -> list[int]:
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    if moment == ALL_MOMENTS:
        moments = None
    else:
        moments = _own(session, org_id, service, filters, moment)
        if not moments or not all(model.has(m) for m in moments):
            raise NotFound("Unknown moment.", code="moment_not_found")
    return analytics.deviated_processes(session, org_id, service.key, moments,
                                        kind.removeprefix("deviation_") if kind != "deviated" else None)


def _rows(session: Session, org_id: int, ids: list[int]) -> list[DrillRow]:
    if not ids:
        return []
    stmt = (select(Process.id, Process.reference, Customer.external_id, Process.current_moment, Process.entered_at)
            .join(Customer, Customer.id == Process.customer_id)
            .where(Process.org_id == org_id, Process.id.in_(ids)).order_by(Process.id))
    return [DrillRow(i, r, c, m, e) for i, r, c, m, e in session.execute(stmt)]
