"""Thin routes: the analytics views of the caller's organization as JSON (admin key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from momentos.analytics import service as analytics
from momentos.analytics.schemas import (
    AnalyticsQuery,
    By,
    ConformanceRead,
    DfgEdge,
    EndActivities,
    FunnelStep,
    MomentIndicators,
    MomentView,
    PerformanceEdge,
    TimeInMoment,
    VariantRead,
)
from momentos.auth.deps import Admin, DbSession
from momentos.catalog.schemas import CHANNELS
from momentos.kit.params import QueryTime
from momentos.kit.schema import one_of

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def analytics_query(service: str | None = None, channel: Annotated[str | None, one_of(CHANNELS)] = None,
                    start: Annotated[QueryTime | None, Query(alias="from")] = None,
                    end: Annotated[QueryTime | None, Query(alias="to")] = None,
                    segment: Annotated[str | None, Query(max_length=64)] = None,
                    by: By = "activity", view: MomentView = "model") -> AnalyticsQuery:
    return AnalyticsQuery(service=service, channel=channel, start=start, end=end, segment=segment, by=by, view=view)


Q = Annotated[AnalyticsQuery, Depends(analytics_query)]


@router.get("/dfg")
def dfg(p: Admin, session: DbSession, q: Q) -> list[DfgEdge]:
    return analytics.dfg(session, p.org_id, q)


@router.get("/performance-dfg")
def performance_dfg(p: Admin, session: DbSession, q: Q) -> list[PerformanceEdge]:
    return analytics.performance_dfg(session, p.org_id, q)


@router.get("/start-end")
def start_end(p: Admin, session: DbSession, q: Q) -> EndActivities:
    return analytics.start_end(session, p.org_id, q)


@router.get("/variants")
def variants(p: Admin, session: DbSession, q: Q, limit: Annotated[int | None, Query(ge=1)] = None) -> list[VariantRead]:
    return analytics.variants(session, p.org_id, q, limit)


@router.get("/funnel")
def funnel(p: Admin, session: DbSession, q: Q) -> list[FunnelStep]:
    return analytics.funnel(session, p.org_id, q)


@router.get("/time-in-moment")
def time_in_moment(p: Admin, session: DbSession, q: Q) -> list[TimeInMoment]:
    return analytics.time_in_moment(session, p.org_id, q)


@router.get("/indicators")
def indicators(p: Admin, session: DbSession, q: Q) -> MomentIndicators:
    return analytics.moment_indicators(session, p.org_id, q)


@router.get("/conformance")
def conformance(p: Admin, session: DbSession, service: Annotated[str, Query(max_length=64)]) -> ConformanceRead:
    """The service's processes against its designed journey: rate per moment, deviations per kind and moment."""
    return analytics.conformance(session, p.org_id, service)
