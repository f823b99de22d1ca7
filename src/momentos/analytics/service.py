"""Analytics entry points. Takes a session; never commits, and never writes.

Two paths that give identical answers. Unfiltered and per-service queries (by activity or by moment, in a service's
own model or mapped onto the 8 contact moments) read the aggregate tables, which only the refresh job writes, plus
the events committed since its last run folded in memory (incremental.pending: no write, no write lock). Queries
filtered by channel, period or customer segment (the aggregates are sums over all customers), ``full=True``, and
reads for which the stored aggregates are missing or far behind (never refreshed, other journey models, most cases
new: folding would cost more) take the full path: load the log (log.py) and compute the view with Polars.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from momentos.analytics import answers, conformance_reads, incremental, indicators, mining, views
from momentos.analytics.answers import Aggregates, Lens
from momentos.analytics.log import LogFilter, load_log
from momentos.analytics.schemas import (
    AnalyticsQuery,
    ConformanceRead,
    Deviation,
    DfgEdge,
    EndActivities,
    FunnelStep,
    MomentIndicators,
    PerformanceEdge,
    TimeInMoment,
    VariantRead,
)
from momentos.catalog import contact_levels as cl
from momentos.catalog import service as catalog
from momentos.catalog.presets import CANONICAL_KEYS, DEFAULT_MODEL
from momentos.dialect import BulkWriter
from momentos.kit.clock import ensure_utc, utcnow
from momentos.models import Service


@dataclass(frozen=True)
class MomentSpace:
    """The moments being shown: a service's own model, or the 8 contact moments (with the mapping onto them)."""

    model: str
    moments: list[str]
    mapping: views.MomentMap | None
    service: Service | None


def moment_space(session: Session, org_id: int, q: AnalyticsQuery) -> MomentSpace:
    services = list(catalog.list_services(session, org_id))
    chosen = [s for s in services if s.key == q.service] if q.service else services
    if q.service and not chosen:
        catalog.get_service(session, org_id, q.service)  # raises NotFound
    if q.view == "model" and len(chosen) == 1:
        service = chosen[0]
        model = catalog.get_journey_model(session, org_id, service.journey_model_key)
        return MomentSpace(model.key, model.keys, None, service)
    mapping: dict[tuple[int, str], str | None] = {}
    for s in chosen:
        model = catalog.get_journey_model(session, org_id, s.journey_model_key)
        mapping.update({(s.id, key): model.to_canonical(key) for key in model.keys})
    return MomentSpace(DEFAULT_MODEL, list(CANONICAL_KEYS), mapping, None)


def _filter(q: AnalyticsQuery, stays_only: bool = False, lean: bool = False) -> LogFilter:
    return LogFilter(service=q.service, channel=q.channel, start=q.start, end=q.end, segment=q.segment,
                     stays_only=stays_only, lean=lean)


def filtered(q: AnalyticsQuery) -> bool:
    """Whether ``q`` names a filter the aggregates cannot answer (they hold sums over every event and customer)."""
    return any(v is not None for v in (q.channel, q.start, q.end, q.segment))


def aggregated(session: Session, org_id: int, q: AnalyticsQuery, full: bool = False) -> Aggregates | None:
    """The aggregate tables as they answer ``q`` for every committed event (stored rows plus the pending fold), or
    None when the full path answers: ``full``, a channel, period or segment filter, or no usable aggregates."""
    if full or filtered(q):
        return None
    pending = incremental.pending(session, org_id)
    if pending is None:
        return None
    return Aggregates(BulkWriter(session), org_id, pending.delta)


def _lens(session: Session, org_id: int, q: AnalyticsQuery) -> tuple[Lens, MomentSpace | None]:
    """Which aggregates answer ``q`` (call ``aggregated`` first)."""
    if q.by == "activity":
        scope = catalog.get_service(session, org_id, q.service).id if q.service is not None else 0
        return Lens(scope, "a"), None
    space = moment_space(session, org_id, q)
    if space.mapping is None and space.service is not None:
        return Lens(space.service.id, "m"), space
    scope = catalog.get_service(session, org_id, q.service).id if q.service is not None else 0
    return Lens(scope, "c"), space


def _steps(session: Session, org_id: int, q: AnalyticsQuery) -> pl.DataFrame:
    log = load_log(session, org_id, _filter(q, stays_only=q.by == "moment", lean=q.by == "activity"))
    mapping = moment_space(session, org_id, q).mapping if q.by == "moment" else None
    return views.steps(log, q.by, mapping)


def dfg(session: Session, org_id: int, q: AnalyticsQuery, *, full: bool = False) -> list[DfgEdge]:
    if (agg := aggregated(session, org_id, q, full)) is not None:
        return answers.dfg(agg, _lens(session, org_id, q)[0])
    return [DfgEdge(source=e.source, target=e.target, frequency=e.frequency)
            for e in mining.dfg(_steps(session, org_id, q))]


def performance_dfg(session: Session, org_id: int, q: AnalyticsQuery, *,
                    full: bool = False) -> list[PerformanceEdge]:
    if (agg := aggregated(session, org_id, q, full)) is not None:
        return answers.performance_dfg(agg, _lens(session, org_id, q)[0])
    return [PerformanceEdge(source=e.source, target=e.target, frequency=e.frequency, mean_s=e.mean_s or 0.0,
                            median_s=e.median_s or 0.0)
            for e in mining.dfg(_steps(session, org_id, q), performance=True)]


def start_end(session: Session, org_id: int, q: AnalyticsQuery, *, full: bool = False) -> EndActivities:
    if (agg := aggregated(session, org_id, q, full)) is not None:
        return answers.start_end(agg, _lens(session, org_id, q)[0])
    steps = _steps(session, org_id, q)
    return EndActivities(start=mining.start_activities(steps), end=mining.end_activities(steps))


def variants(session: Session, org_id: int, q: AnalyticsQuery, limit: int | None = None, *,
             full: bool = False) -> list[VariantRead]:
    if (agg := aggregated(session, org_id, q, full)) is not None:
        return answers.variants(agg, _lens(session, org_id, q)[0], limit)
    return [VariantRead(variant=v.variant, count=v.count, share=v.share)
            for v in mining.variants(_steps(session, org_id, q), limit)]


def _stays(session: Session, org_id: int, q: AnalyticsQuery,
           stays_only: bool) -> tuple[pl.DataFrame, pl.DataFrame, MomentSpace]:
    space = moment_space(session, org_id, q)
    log = load_log(session, org_id, _filter(q, stays_only))
    return log, views.moment_steps(log, space.mapping), space


def reference_time(q: AnalyticsQuery, now: datetime | None = None) -> datetime:
    """The instant outcomes are read at (whether a process is still within a moment's usual time): now, or the end
    of the period when it ended before."""
    now = now or utcnow()
    return min(now, ensure_utc(q.end)) if q.end is not None else now


def funnel(session: Session, org_id: int, q: AnalyticsQuery, *, full: bool = False,
           now: datetime | None = None) -> list[FunnelStep]:
    """Reach and outcome per moment: moved on, still here, dropped (analytics/outcomes.py) at ``now``."""
    at_time = reference_time(q, now)
    if (agg := aggregated(session, org_id, q, full)) is not None:
        at, space = _lens(session, org_id, q.model_copy(update={"by": "moment"}))
        assert space is not None
        return answers.funnel(agg, at, space.moments, at_time)
    _, stays, space = _stays(session, org_id, q, stays_only=True)
    return indicators.funnel(stays, space.moments, at_time)


def time_in_moment(session: Session, org_id: int, q: AnalyticsQuery, *, full: bool = False) -> list[TimeInMoment]:
    if (agg := aggregated(session, org_id, q, full)) is not None:
        at, space = _lens(session, org_id, q.model_copy(update={"by": "moment"}))
        assert space is not None
        return answers.time_in_moment(agg, at, space.moments)
    _, stays, space = _stays(session, org_id, q, stays_only=True)
    return indicators.time_in_moment(stays, space.moments)


def budgets(session: Session, org_id: int, space: MomentSpace) -> dict[str, int] | None:
    """Planned outbound contacts per customer for each moment of a single service's own model."""
    if space.service is None:
        return None
    service = space.service
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    touchpoints = catalog.list_touchpoints(session, org_id, service.id)
    return {m: cl.contact_budget(service.contact_level, catalog.moment_intensity(service, model, m, touchpoints))
            for m in model.keys}


def moment_indicators(session: Session, org_id: int, q: AnalyticsQuery, *, full: bool = False,
                      now: datetime | None = None) -> MomentIndicators:
    """Funnel, time in moment, channel mix and contacts per moment (from the aggregates when unfiltered)."""
    at_time = reference_time(q, now)
    if (agg := aggregated(session, org_id, q, full)) is not None:
        at, agg_space = _lens(session, org_id, q.model_copy(update={"by": "moment"}))
        assert agg_space is not None
        moments = agg_space.moments
        return MomentIndicators(
            service=agg_space.service.key if agg_space.service else q.service, model=agg_space.model,
            moments=moments, funnel=answers.funnel(agg, at, moments, at_time),
            time_in_moment=answers.time_in_moment(agg, at, moments),
            channel_mix=answers.channel_mix(agg, at, moments),
            contacts=answers.contacts(agg, at, moments, budgets(session, org_id, agg_space)))
    log, stays, space = _stays(session, org_id, q, stays_only=False)
    events = indicators.events_in_moments(log, stays, space.moments)
    return MomentIndicators(
        service=space.service.key if space.service else q.service, model=space.model, moments=space.moments,
        funnel=indicators.funnel(stays, space.moments, at_time),
        time_in_moment=indicators.time_in_moment(stays, space.moments),
        channel_mix=indicators.channel_mix(events, space.moments),
        contacts=indicators.contacts(events, stays, space.moments, budgets(session, org_id, space)))


def conformance(session: Session, org_id: int, service: str, *, full: bool = False) -> ConformanceRead:
    """How the service's processes conform to its designed journey (analytics/conformance.py): per moment and per
    deviation kind, from the aggregates (stored plus pending) or, with ``full`` or none usable, from the log."""
    return conformance_reads.read(session, org_id, service, full=full)


def deviated_processes(session: Session, org_id: int, service: str, moments: Collection[str] | None = None,
                       kind: str | None = None) -> list[int]:
    """The service's processes with a deviation (of ``kind``, or any) in one of ``moments`` (or any moment)."""
    return conformance_reads.deviated_processes(session, org_id, catalog.get_service(session, org_id, service),
                                                moments, kind)


def process_deviations(session: Session, org_id: int, process_id: int, service_id: int | None) -> list[Deviation]:
    """One process's deviations from its service's designed journey."""
    return conformance_reads.process_deviations(session, org_id, process_id, service_id)


def processes_deviations(session: Session, org_id: int, services: Mapping[int, int | None]
                         ) -> dict[int, list[Deviation]]:
    """Process id → its deviations, for the given processes (process id → service id)."""
    return conformance_reads.processes_deviations(session, org_id, services)
