"""Indicators page of one service (funnel, outcomes per moment, time in moment, contacts, channel mix) with filters.

The charts are built here once for the page and for the standalone HTML report (web/report.py). Unfiltered figures
come from the incremental aggregates; a channel, period or segment filter takes the full path (analytics.service).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery, MomentIndicators
from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.kit import i18n
from momentos.kit.event_time import query_time_problem
from momentos.kit.i18n import N_
from momentos.segments import service as segments
from momentos.web.access import Reader
from momentos.web.charts import Fmt, Series, bar_chart
from momentos.web.labels import LABELS, message_id
from momentos.web.process_map import MapLabels, ProcessMapData, moment_graph, variant_rows
from momentos.web.rendering import PagesDep

router = APIRouter()


@dataclass(frozen=True)
class IndicatorCharts:
    funnel: Markup
    outcome: Markup
    time_in_moment: Markup
    contacts: Markup
    channels: Markup


def moment_names(session: Session, org_id: int, ind: MomentIndicators, lang: str) -> dict[str, str]:
    model = catalog.get_journey_model(session, org_id, ind.model)
    return {m: model.moment(m).name(lang) if model.has(m) else m for m in ind.moments}


def build_charts(ind: MomentIndicators, names: dict[str, str], lang: str) -> IndicatorCharts:
    def t(message: str) -> str:
        return i18n.gettext(lang, message)

    def number(v: float | None) -> str:
        return "–" if v is None else i18n.format_number(round(v, 2), lang)

    def percent(v: float | None) -> str:
        return "–" if v is None else f"{i18n.format_number(round(v, 1), lang)} %"

    def hours(v: float | None) -> str:
        return "–" if v is None else i18n.format_duration(timedelta(hours=v), lang)

    cats = [names[m] for m in ind.moments]
    f = ind.funnel
    funnel = bar_chart(t(N_("Funnel across moments")), cats, [
        Series(t(N_("Reached")), [s.reached for s in f]), Series(t(N_("Moved on")), [s.moved_on for s in f]),
        Series(t(N_("Still here")), [s.still_here for s in f]), Series(t(N_("Dropped")), [s.dropped for s in f])],
        description=t(N_("Processes that reached each moment: moved on to a later one (renewed, from the last "
                         "moment), still in it within its usual time, or dropped (beyond it, or went back).")),
        fmt=number, chart_id="chart-funnel")
    outcome = bar_chart(t(N_("Outcome per moment")), cats, [
        Series(t(N_("Moved on")), [_share(s.moved_on, s.reached) for s in f]),
        Series(t(N_("Still here")), [_share(s.still_here, s.reached) for s in f]),
        Series(t(N_("Dropped")), [_share(s.dropped, s.reached) for s in f])],
        description=t(N_("Share of the processes that reached each moment and moved on, are still in it within "
                         "its usual time, or dropped.")),
        fmt=percent, stacked=True, chart_id="chart-outcome")
    tim = ind.time_in_moment
    times = bar_chart(t(N_("Time in moment")), cats, [
        Series(t(N_("Median")), [None if s.median_s is None else s.median_s / 3600 for s in tim]),
        Series(t(N_("90th percentile")), [None if s.p90_s is None else s.p90_s / 3600 for s in tim])],
        description=t(N_("How long processes stayed in each moment before moving on.")), fmt=hours,
        chart_id="chart-time")
    c = ind.contacts
    contacts = bar_chart(t(N_("Contacts per customer")), cats, [
        Series(t(N_("Inbound")), [s.inbound_per_customer for s in c]),
        Series(t(N_("Outbound")), [s.outbound_per_customer for s in c]),
        Series(t(N_("Outbound budget")), [None if s.budget is None else float(s.budget) for s in c])],
        description=t(N_("Customer-started and company-started contacts per customer, beside the budget.")),
        fmt=number, chart_id="chart-contacts")
    return IndicatorCharts(funnel, outcome, times, contacts, _channel_chart(ind, cats, t, percent))


@dataclass(frozen=True)
class ProcessMapView:
    graph: Markup
    variants: Markup


def build_process_map(session: Session, org_id: int, q: AnalyticsQuery, ind: MomentIndicators,
                      names: dict[str, str], lang: str) -> ProcessMapView:
    """The service's process map at the level of moments (the directly-follows graph with counts and median times,
    and its most common variants), for the indicators page and the report: same filters as the indicators."""
    data = process_map_data(session, org_id, q, ind.moments, names, lang)
    return ProcessMapView(moment_graph(data.edges, data.moments, data.names, data.labels, data.duration, data.number),
                          variant_rows(data.variants, data.names, data.labels, data.number, data.percent))


def process_map_data(session: Session, org_id: int, q: AnalyticsQuery, moments: list[str], names: dict[str, str],
                     lang: str) -> ProcessMapData:
    """What the process map shows (also drawn in the map's PDF), with the words and formats of ``lang``."""
    by_moment = q.model_copy(update={"by": "moment", "view": "model"})
    edges = analytics.performance_dfg(session, org_id, by_moment)
    top = analytics.variants(session, org_id, by_moment, limit=10)

    def t(message: str) -> str:
        return i18n.gettext(lang, message)

    labels = MapLabels(
        title=t(N_("Process map")), description=t(N_(
            "How processes moved between the moments: arrows down move to the next moment, arrows on the right "
            "jump ahead, arrows on the left go back; each arrow shows how many moves and their median time.")),
        source=t(N_("From")), target=t(N_("To")), moves=t(N_("moves")), median=t(N_("median time")),
        variants=t(N_("Most common paths")), processes=t(N_("processes")), share=t(N_("Share")),
        arcs_shown=t(N_("Arrows shown")), no_moves=t(N_("No process has moved between moments yet.")))

    def duration(seconds: float) -> str:
        return i18n.format_duration(timedelta(seconds=seconds), lang)

    def number(value: float) -> str:
        return i18n.format_number(value, lang)

    def percent(value: float) -> str:
        return f"{i18n.format_number(round(value, 1), lang)} %"

    return ProcessMapData(edges, moments, names, top, labels, duration, number, percent)


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _channel_chart(ind: MomentIndicators, cats: list[str], t: Callable[[str], str], percent: Fmt) -> Markup:
    channels = sorted({c.channel for mix in ind.channel_mix for c in mix.channels})
    series = []
    for ch in channels:
        shares = [next((100 * c.share for c in mix.channels if c.channel == ch), None) for mix in ind.channel_mix]
        msgid = message_id("channel", ch) if ch in LABELS["channel"] else None
        series.append(Series(t(msgid) if msgid else ch, shares))
    return bar_chart(t(N_("Channel mix per moment")), cats, series,
                     description=t(N_("Share of the events on each channel while processes stood in each moment.")),
                     fmt=percent, stacked=True, chart_id="chart-channels")


def _day(value: str | None) -> datetime | None:
    """A day of the filter form; ValueError when it is not an ISO date or outside the plausible range."""
    if not value:
        return None
    day = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    if query_time_problem(day) is not None:
        raise ValueError(value)
    return day


@router.get("/services/{key}/indicators", name="service_indicators")
def indicators_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                    channel: Annotated[str | None, Query()] = None,
                    start: Annotated[str | None, Query(alias="from")] = None,
                    end: Annotated[str | None, Query(alias="to")] = None,
                    segment: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    service = catalog.get_service(session, viewer.org_id, key)
    date_error = False
    try:
        first, last = _day(start), _day(end)
    except ValueError:  # a malformed or implausible date (9999-12-31): the page says so, unfiltered by dates
        first, last, date_error = None, None, True
    q = AnalyticsQuery(service=key, channel=channel or None, start=first,
                       end=last + timedelta(days=1) if last else None, segment=segment or None)
    ind = analytics.moment_indicators(session, viewer.org_id, q)
    lang = pages.language(request)
    names = moment_names(session, viewer.org_id, ind, lang)
    return pages.render(request, "indicators.html", {
        "service": service, "ind": ind, "names": names, "charts": build_charts(ind, names, lang),
        "process": build_process_map(session, viewer.org_id, q, ind, names, lang),
        "channels": sorted(LABELS["channel"]), "channel": channel or "", "start": start or "", "end": end or "",
        "segments": segments.list_segments(session, viewer.org_id), "segment": segment or "",
        "date_error": date_error}, viewer=viewer, status=400 if date_error else 200)
