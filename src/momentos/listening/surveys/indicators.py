"""Listening indicators: NPS, CSAT, CES and perception scores per moment, service and week; the emotion curve
across the moments; response rates of survey invitations. Read-only; computed from the stored rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.listening.surveys.schemas import ListeningIndicators, MomentIndicators, PeriodScores, Scores
from momentos.models import Feedback, Notification, Service, SurveyInvitation

DEFAULT_MODEL = "contact-moments-8"


def nps(values: list[int]) -> float | None:
    """Net promoter score: % promoters (9–10) minus % detractors (0–6), -100..100."""
    if not values:
        return None
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return round(100.0 * (promoters - detractors) / len(values), 1)


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 3) if values else None


def emotion_of(row: Any) -> float | None:
    """-1..1 for one item: the mean of what it says (CSAT, NPS, perception, text sentiment), each rescaled."""
    parts = []
    if row.csat is not None:
        parts.append((row.csat - 3) / 2)
    if row.nps is not None:
        parts.append((row.nps - 5) / 5)
    if row.ces is not None:
        parts.append((row.ces - 4) / 3)
    if row.sentiment_score is not None:
        parts.append(float(row.sentiment_score))
    return fmean(parts) if parts else None


def scores(rows: Iterable[Any]) -> Scores:
    rows = list(rows)
    perception: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for key, value in (r.perception or {}).items():
            if isinstance(value, int | float):
                perception[key].append(float(value))
    sentiments = [float(r.sentiment_score) for r in rows if r.sentiment_score is not None]
    return Scores(answers=len(rows), nps=nps([r.nps for r in rows if r.nps is not None]),
                  csat=_mean([float(r.csat) for r in rows if r.csat is not None]),
                  ces=_mean([float(r.ces) for r in rows if r.ces is not None]),
                  perception={k: round(fmean(v), 3) for k, v in sorted(perception.items())},
                  sentiment=_mean(sentiments))


def _rows(session: Session, org_id: int, service_id: int | None, since: datetime | None) -> list[Any]:
    stmt = select(Feedback.moment, Feedback.nps, Feedback.csat, Feedback.ces, Feedback.perception,
                  Feedback.sentiment_score, Feedback.occurred_at).where(Feedback.org_id == org_id)
    if service_id is not None:
        stmt = stmt.where(Feedback.service_id == service_id)
    if since is not None:
        stmt = stmt.where(Feedback.occurred_at >= since)
    return list(session.execute(stmt))


def _invitations(session: Session, org_id: int, service_id: int | None,
                 since: datetime | None) -> dict[str | None, tuple[int, int]]:
    stmt = (select(SurveyInvitation.moment, SurveyInvitation.answered_at, Notification.status)
            .outerjoin(Notification, Notification.id == SurveyInvitation.notification_id)
            .where(SurveyInvitation.org_id == org_id))
    if service_id is not None:
        stmt = stmt.where(SurveyInvitation.service_id == service_id)
    if since is not None:
        stmt = stmt.where(SurveyInvitation.created_at >= since)
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for moment, answered_at, status in session.execute(stmt):
        if status == "sent" or answered_at is not None:
            counts[moment][0] += 1
            counts[moment][1] += answered_at is not None
    return {k: (v[0], v[1]) for k, v in counts.items()}


def listening_indicators(session: Session, org_id: int, service_key: str | None = None,
                         since: datetime | None = None) -> ListeningIndicators:
    service: Service | None = catalog.get_service(session, org_id, service_key) if service_key else None
    model: JourneyModelDef = catalog.get_journey_model(session, org_id, service.journey_model_key if service
                                                       else DEFAULT_MODEL)
    rows = _rows(session, org_id, service.id if service else None, since)
    invited = _invitations(session, org_id, service.id if service else None, since)
    by_moment: dict[str | None, list[Any]] = defaultdict(list)
    for r in rows:
        by_moment[r.moment].append(r)
    moments = []
    for m in model.moments:
        mine = by_moment.get(m.key, [])
        sent, answered = invited.get(m.key, (0, 0))
        emotions = [e for e in (emotion_of(r) for r in mine) if e is not None]
        moments.append(MomentIndicators(moment=m.key, name_es=m.name_es, name_en=m.name_en, scores=scores(mine),
                                        invited=sent, answered=answered,
                                        response_rate=round(answered / sent, 3) if sent else None,
                                        emotion=round(fmean(emotions), 3) if emotions else None,
                                        weeks=weekly(mine)))
    return ListeningIndicators(service=service.key if service else None, overall=scores(rows), moments=moments,
                               weeks=weekly(rows))


def weekly(rows: list[Any]) -> list[PeriodScores]:
    by_week: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        year, week, _ = r.occurred_at.isocalendar()
        by_week[f"{year}-W{week:02d}"].append(r)
    return [PeriodScores(period=k, scores=scores(v)) for k, v in sorted(by_week.items())]
