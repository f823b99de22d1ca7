"""The living journey map of one service: moments as columns, rows of touchpoints, intensity, indicators and
contacts against the budget — all from the catalog and the analytics service, nothing computed here that those do
not already compute. Rows for promises, the emotion curve and needs come from the row sources handed in
(``dashboard.sources.map_rows``, wired by ``bootstrap``); without a source (or with no data) the row says so
instead of showing numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import MomentIndicators
from momentos.catalog import service as catalog
from momentos.catalog.presets import BUILTIN_MODELS, DEFAULT_MODEL, JourneyModelDef, Moment
from momentos.dashboard.cache import ViewCache, cached, read_instant, segment_version
from momentos.dashboard.filters import MapFilters
from momentos.kit.i18n import N_
from momentos.models import Segment, Service, Touchpoint
from momentos.processes import service as processes
from momentos.segments import service as segments


@dataclass(frozen=True)
class TouchpointCell:
    touchpoint: Touchpoint
    intensity: str
    is_default: bool


@dataclass(frozen=True)
class Figure:
    """One number of a cell, with the drill-down kind (see ``drill.py``) that lists what is behind it."""

    value: float | None
    drill: str | None = None


@dataclass(frozen=True)
class Column:
    moment: Moment
    position: int
    intensity: str
    touchpoints: list[TouchpointCell]
    now: Figure
    reached: Figure
    customers: int
    moved_on: Figure
    still_here: Figure
    dropped: Figure
    renewal: bool
    """The model's last moment: moving on from it is renewing (a new cycle), not a drop-off."""
    usual_s: float | None
    median_s: float | None
    p90_s: float | None
    budget: int | None
    outbound_per_customer: float | None
    inbound_per_customer: float | None
    over_budget: Figure
    channels: list[tuple[str, int]]


@dataclass(frozen=True)
class MapContext:
    """What a row source gets: the organization, the service, the moments shown and the filters (``customers``:
    the segment's members as a query of customer ids, when the filters name a segment)."""

    org_id: int
    service: Service
    moments: list[str]
    filters: MapFilters
    customers: Select[int] | None = None


@dataclass(frozen=True)
class RowCell:
    """One cell of an extra row: labelled values (the label a message id, translated by the page; the value
    already formatted) and, when there is one, the drill-down kind that lists what is behind it."""

    parts: tuple[tuple[str, str], ...]
    drill: str | None = None


@dataclass(frozen=True)
class ExtraRow:
    """A row fed by another module (promises, emotion curve, needs): a cell per moment, or None when not set up."""

    key: str
    title: str
    cells: dict[str, RowCell] | None
    empty_note: str = N_("Not configured")


RowSource = Callable[[Session, MapContext], dict[str, RowCell]]
"""A row fed by the module that owns its data: ``promises`` (compliance per moment), ``emotion`` (CSAT / sentiment
per moment), ``needs`` (top needs per moment). Returns a cell per moment key. The sources are built by
``bootstrap`` (``dashboard.sources.map_rows``) and passed to ``journey_map``."""

EXTRA_ROWS: tuple[tuple[str, str], ...] = (
    ("promises", N_("Promises and compliance")),
    ("emotion", N_("Emotion curve (CSAT, sentiment)")),
    ("needs", N_("Top needs")),
)


@dataclass(frozen=True)
class ConformanceCell:
    """The conformance row's cell: of the processes the moment concerns, the share without a deviation there, and
    the processes with one (the drill-down ``deviated`` lists them)."""

    processes: int
    rate: float | None
    deviated: Figure


@dataclass(frozen=True)
class JourneyMap:
    service: Service
    model: JourneyModelDef
    filters: MapFilters
    columns: list[Column]
    extra_rows: list[ExtraRow]
    channels: list[str]
    busiest: int = field(default=0)
    segments: list[Segment] = field(default_factory=list)
    """The organization's segments (what the segment filter offers)."""
    conformance: dict[str, ConformanceCell] | None = None
    """Moment → its conformance cell (every process of the service, whatever the filters); None in the view of the
    8 contact moments (conformance is judged against the service's own journey model)."""


def shown_model(session: Session, org_id: int, service: Service, filters: MapFilters) -> JourneyModelDef:
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    return BUILTIN_MODELS[DEFAULT_MODEL] if filters.view == "canonical" else model


def _touchpoints(service: Service, model: JourneyModelDef, shown: JourneyModelDef,
                 touchpoints: Sequence[Touchpoint]) -> dict[str, list[TouchpointCell]]:
    cells: dict[str, list[TouchpointCell]] = {}
    for tp in touchpoints:
        key = tp.moment if shown.key == model.key else model.to_canonical(tp.moment)
        if key is None:
            continue
        eff = catalog.touchpoint_intensity(service, model, tp)
        cells.setdefault(key, []).append(TouchpointCell(tp, eff.intensity, eff.is_default))
    return cells


def segment_members(session: Session, org_id: int, filters: MapFilters) -> Select[int] | None:
    """The filter's segment as a query of customer ids (None without a segment; NotFound for an unknown one)."""
    if filters.segment is None:
        return None
    return segments.members_query(org_id, segments.get_segment(session, org_id, filters.segment))


def _now_counts(session: Session, org_id: int, service: Service, model: JourneyModelDef,
                shown: JourneyModelDef, customers: Select[int] | None) -> dict[str, int]:
    counts = processes.count_by_moment(session, org_id, service.id, customers)
    if shown.key == model.key:
        return counts
    mapped: dict[str, int] = {}
    for key, n in counts.items():
        canonical = model.to_canonical(key) if model.has(key) else None
        if canonical:
            mapped[canonical] = mapped.get(canonical, 0) + n
    return mapped


def _intensity(service: Service, model: JourneyModelDef, shown: JourneyModelDef, key: str,
               touchpoints: Sequence[Touchpoint]) -> str:
    if shown.key == model.key:
        return catalog.moment_intensity(service, model, key, touchpoints)
    own = [k for k in model.keys if model.to_canonical(k) == key]
    values = [catalog.moment_intensity(service, model, k, touchpoints) for k in own]
    return max(values, default=catalog.moment_intensity(service, shown, key, ()), key=("none", "on_request",
                                                                                          "proactive").index)


def _extra_rows(session: Session, ctx: MapContext, sources: Mapping[str, RowSource]) -> list[ExtraRow]:
    rows = []
    for key, title in EXTRA_ROWS:
        source = sources.get(key)
        cells = source(session, ctx) if source is not None else None
        rows.append(ExtraRow(key, title, cells or None))
    return rows


def _columns(shown: JourneyModelDef, ind: MomentIndicators, tps: dict[str, list[TouchpointCell]],
             now: dict[str, int], intensity: Callable[[str], str]) -> list[Column]:
    funnel = {f.moment: f for f in ind.funnel}
    times = {t.moment: t for t in ind.time_in_moment}
    contacts = {c.moment: c for c in ind.contacts}
    mix = {m.moment: m for m in ind.channel_mix}
    columns = []
    for position, moment in enumerate(shown.moments, start=1):
        f, t, c, k = funnel[moment.key], times[moment.key], contacts[moment.key], mix[moment.key]
        columns.append(Column(
            moment=moment, position=position, intensity=intensity(moment.key), touchpoints=tps.get(moment.key, []),
            now=Figure(now.get(moment.key, 0), "current"), reached=Figure(f.reached, "reached"),
            customers=f.customers, moved_on=Figure(f.moved_on, "progressed"),
            still_here=Figure(f.still_here, "still_here"), dropped=Figure(f.dropped, "dropped"),
            renewal=f.renewal, usual_s=f.usual_s, median_s=t.median_s, p90_s=t.p90_s,
            budget=c.budget, outbound_per_customer=c.outbound_per_customer,
            inbound_per_customer=c.inbound_per_customer,
            over_budget=Figure(c.over_budget, "over_budget" if c.over_budget else None),
            channels=[(s.channel, s.events) for s in k.channels]))
    return columns


def _conformance(session: Session, org_id: int, service: Service, shown: JourneyModelDef,
                 model: JourneyModelDef) -> dict[str, ConformanceCell] | None:
    """Not cached: the design depends on promises, whose changes do not move the view cache's data version."""
    if shown.key != model.key:
        return None
    read = analytics.conformance(session, org_id, service.key)
    return {m.moment: ConformanceCell(m.processes, m.rate, Figure(m.processes - m.conforming,
                                                                  "deviated" if m.processes > m.conforming else None))
            for m in read.moments}


def journey_map(session: Session, org_id: int, service_key: str, filters: MapFilters,
                cache: ViewCache | None = None, *, rows: Mapping[str, RowSource]) -> JourneyMap:
    """The living journey map of a service; ``rows`` feed its extra rows (promises, emotion curve, needs)."""
    service = catalog.get_service(session, org_id, service_key)
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    shown = shown_model(session, org_id, service, filters)
    touchpoints = catalog.list_touchpoints(session, org_id, service.id)
    q = filters.query(service.key)
    members = segment_members(session, org_id, filters)
    version = segment_version(session, org_id, filters.segment)
    now = read_instant()
    ind = cached(cache, session, org_id, ("moment_indicators", q.model_dump_json(), version, now),
                 lambda: analytics.moment_indicators(session, org_id, q, now=now))
    columns = _columns(shown, ind, _touchpoints(service, model, shown, touchpoints),
                       cached(cache, session, org_id, ("now_counts", service.id, shown.key, version),
                              lambda: _now_counts(session, org_id, service, model, shown, members)),
                       lambda key: _intensity(service, model, shown, key, touchpoints))
    ctx = MapContext(org_id, service, shown.keys, filters, members)
    channels = sorted({tp.channel for tp in touchpoints})
    return JourneyMap(service, shown, filters, columns, _extra_rows(session, ctx, rows), channels,
                      max((int(c.reached.value or 0) for c in columns), default=0),
                      list(segments.list_segments(session, org_id)),
                      _conformance(session, org_id, service, shown, model))
