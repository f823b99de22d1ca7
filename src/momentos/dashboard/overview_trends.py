"""The figures behind the overview's charts: promise compliance per service and promise kind, the NPS/CSAT trend
by week and the top needs with their weekly trend. Read from the promises and listening services; the charts are
drawn by ``web.overview_charts``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.listening.needs.schemas import NeedRead
from momentos.listening.surveys import indicators as listening_indicators
from momentos.listening.surveys.schemas import PeriodScores
from momentos.models import Service
from momentos.promises import indicators as promise_indicators

TREND_WEEKS = 12


@dataclass(frozen=True)
class KindFigures:
    kind: str
    kept: int
    broken: int
    open: int


@dataclass(frozen=True)
class ServiceCompliance:
    service: Service
    kinds: list[KindFigures]


@dataclass(frozen=True)
class OverviewTrends:
    compliance: list[ServiceCompliance]
    """Services with at least one promise instance, each with its figures per promise kind."""
    weeks: list[PeriodScores]
    """The organization's NPS and CSAT per ISO week (the last ``TREND_WEEKS`` weeks with answers)."""
    needs: list[NeedRead]


def compliance_by_kind(session: Session, org_id: int) -> list[ServiceCompliance]:
    states = promise_indicators.states_by_kind(session, org_id)
    out = []
    for s in catalog.list_services(session, org_id):
        kinds = [KindFigures(kind, v["kept"], v["broken"], v["open"])
                 for (sid, kind), v in sorted(states.items()) if sid == s.id]
        if kinds:
            out.append(ServiceCompliance(s, kinds))
    return out


def score_weeks(session: Session, org_id: int, now: datetime) -> list[PeriodScores]:
    found = listening_indicators.listening_indicators(session, org_id, since=now - timedelta(weeks=TREND_WEEKS))
    return [w for w in found.weeks if w.scores.nps is not None or w.scores.csat is not None]


def trends(session: Session, org_id: int, now: datetime, needs: list[NeedRead]) -> OverviewTrends:
    return OverviewTrends(compliance_by_kind(session, org_id), score_weeks(session, org_id, now), needs)
