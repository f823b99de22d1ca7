"""Thin routes: define, list, read, retire and test promises; their instances; their indicators (admin key)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from momentos.auth.deps import Admin, DbSession
from momentos.catalog import service as catalog
from momentos.kit.clock import ensure_utc, utcnow
from momentos.kit.params import BigInt, QueryTime
from momentos.promises import definitions, indicators, scoring
from momentos.promises import service as promises
from momentos.promises.indicators import By, Period
from momentos.promises.schemas import (
    IndicatorRow,
    InstanceRead,
    PromiseCreate,
    PromiseRead,
    ScoreQuery,
    ScoreResult,
    State,
)

router = APIRouter(prefix="/api/v1/promises", tags=["promises"])


class DraftScore(ScoreQuery):
    """A draft promise scored against past events (nothing is stored)."""

    model_config = ConfigDict(extra="forbid")
    promise: PromiseCreate


class _Period(BaseModel):
    start: datetime | None
    end: datetime | None
    now: datetime


def _period(q: ScoreQuery) -> _Period:
    start = ensure_utc(q.start) if q.start else None
    end = ensure_utc(q.end) if q.end else None
    now = ensure_utc(q.now) if q.now else (end or utcnow())
    return _Period(start=start, end=end, now=now)


@router.post("", status_code=201)
def create_promise(p: Admin, session: DbSession, data: PromiseCreate) -> PromiseRead:
    return definitions.to_read(session, definitions.create(session, p.org_id, data, actor=p.actor))


@router.get("")
def list_promises(p: Admin, session: DbSession, service: str | None = None) -> list[PromiseRead]:
    return [definitions.to_read(session, row) for row in definitions.list_definitions(session, p.org_id, service)]


@router.get("/indicators")
def promise_indicators(p: Admin, session: DbSession, by: By = "promise", period: Period = "week",
                       start: Annotated[QueryTime | None, Query(alias="from")] = None,
                       end: Annotated[QueryTime | None, Query(alias="to")] = None) -> list[IndicatorRow]:
    return indicators.compliance(session, p.org_id, by=by, period=period,
                                 start=ensure_utc(start) if start else None, end=ensure_utc(end) if end else None)


@router.post("/score")
def score_draft(p: Admin, session: DbSession, data: DraftScore) -> ScoreResult:
    service = catalog.get_service(session, p.org_id, data.promise.service)
    when = _period(data)
    return scoring.score_rule(session, p.org_id, service.id, data.promise.rule.compile(), when.start, when.end,
                              when.now)


@router.get("/{promise_key}")
def get_promise(p: Admin, session: DbSession, promise_key: str) -> PromiseRead:
    return definitions.to_read(session, definitions.get(session, p.org_id, promise_key))


@router.delete("/{promise_key}")
def retire_promise(p: Admin, session: DbSession, promise_key: str) -> PromiseRead:
    """Stop creating and moving instances of this promise (its history stays)."""
    return definitions.to_read(session, definitions.deactivate(session, p.org_id, promise_key, actor=p.actor))


@router.post("/{promise_key}/score")
def score_promise(p: Admin, session: DbSession, promise_key: str, data: ScoreQuery) -> ScoreResult:
    """What would this promise have scored in a period? Evaluated on the stored events; nothing is stored."""
    row = definitions.get(session, p.org_id, promise_key)
    when = _period(data)
    return scoring.score_rule(session, p.org_id, row.service_id, definitions.compile_definition(row).rule,
                              when.start, when.end, when.now)


@router.get("/{promise_key}/instances")
def list_instances(p: Admin, session: DbSession, promise_key: str, state: State | None = None,
                   process_id: BigInt | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   after_id: BigInt | None = None) -> list[InstanceRead]:
    definitions.get(session, p.org_id, promise_key)
    rows = promises.list_instances(session, p.org_id, promise=promise_key, state=state, process_id=process_id,
                                   limit=limit, after_id=after_id)
    return [InstanceRead(id=i.id, promise=k, process_id=i.process_id, state=i.state,
                         started_at=i.started_at, due_at=i.due_at, at_risk_at=i.at_risk_at, closed_at=i.closed_at,
                         paused=i.paused) for i, k in rows]
