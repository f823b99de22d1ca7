"""Early-warning episodes as people read them: the ones to show as alerts (each mention counted once), one
episode's negative mentions and its hourly timeline against the baseline.

Detection keeps two series, the organization's and each service's (``service.series``), so one spike in one service
opens two episodes over the same mentions: one scoped to the service and one to the whole organization. Shown
side by side they count every mention twice. An organization-wide episode is therefore shown only when no service
episode overlaps it in time (a spike spread over several services, none alarming alone); and an episode's figure
is the number of its negative mentions, counted from the mentions themselves over its whole span (the stored
``negatives`` is the first alarm hour's only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from momentos.errors import NotFound
from momentos.listening.warning.service import HOUR, SEASON, hour_floor, recent_episodes, series
from momentos.models import Customer, Feedback, WarningEpisode

BASELINE_WEEKS = 4
"""The baseline of an hour: the mean of the same hour of the week over this many previous weeks."""
HOURS_BEFORE = 24
HOURS_AFTER = 6
MAX_TIMELINE_HOURS = 24 * 7


@dataclass(frozen=True)
class ShownEpisode:
    episode: WarningEpisode
    negatives: int
    """Negative mentions of the episode's scope over its whole span, each counted once."""


@dataclass(frozen=True)
class TimelineHour:
    at: datetime
    mentions: int
    negatives: int
    baseline: float | None
    """Mean mentions of the same hour of the week over the previous weeks (None: no history)."""
    in_episode: bool


def end_of(episode: WarningEpisode) -> datetime:
    return episode.last_hour_at + HOUR


def _overlaps(a: WarningEpisode, b: WarningEpisode) -> bool:
    return a.started_at < end_of(b) and b.started_at < end_of(a)


def _scope(episode: WarningEpisode) -> list[ColumnElement[bool]]:
    return [Feedback.org_id == episode.org_id, Feedback.sentiment == "neg",
            Feedback.occurred_at >= episode.started_at, Feedback.occurred_at < end_of(episode),
            *([Feedback.service_id == episode.service_id] if episode.service_id is not None else [])]


def negatives_of(session: Session, episode: WarningEpisode) -> int:
    return int(session.scalar(select(func.count()).select_from(Feedback).where(*_scope(episode))) or 0)


def shown_episodes(session: Session, org_id: int, since: datetime) -> list[ShownEpisode]:
    """The recent episodes to show, service episodes first: an organization-wide one only if no service episode
    overlaps it (else the same mentions would be counted twice)."""
    found = recent_episodes(session, org_id, since)
    services = [e for e in found if e.service_id is not None]
    whole = [e for e in found if e.service_id is None and not any(_overlaps(e, s) for s in services)]
    return [ShownEpisode(e, negatives_of(session, e)) for e in services + whole]


def get_episode(session: Session, org_id: int, episode_id: int) -> WarningEpisode:
    row = session.get(WarningEpisode, episode_id)
    if row is None or row.org_id != org_id:
        raise NotFound("Alert not found.", code="alert_not_found")
    return row


def mentions(session: Session, episode: WarningEpisode, limit: int = 200) -> list[tuple[Feedback, str | None]]:
    """The episode's negative mentions, oldest first, each with its customer's external id (at most ``limit``;
    ``negatives_of`` gives the total)."""
    stmt = (select(Feedback, Customer.external_id).outerjoin(Customer, Customer.id == Feedback.customer_id)
            .where(*_scope(episode)).order_by(Feedback.occurred_at, Feedback.id).limit(limit))
    return [(f, external_id) for f, external_id in session.execute(stmt)]


def timeline(session: Session, episode: WarningEpisode, now: datetime) -> list[TimelineHour]:
    """Hourly mentions and negatives of the episode's scope from a day before it to a few hours after (not past
    ``now``), each hour with its baseline."""
    start = episode.started_at - HOURS_BEFORE * HOUR
    end = min(end_of(episode) + HOURS_AFTER * HOUR, hour_floor(now) + HOUR, start + MAX_TIMELINE_HOURS * HOUR)
    end = max(end, end_of(episode))
    history = BASELINE_WEEKS * SEASON
    counts, negatives = series(session, episode.org_id, start - history * HOUR, end).get(
        episode.service_id, ([], []))
    out = []
    for i in range(int((end - start) / HOUR)):
        t = history + i
        past = [counts[t - k * SEASON] for k in range(1, BASELINE_WEEKS + 1) if t - k * SEASON >= 0]
        at = start + i * HOUR
        out.append(TimelineHour(at, counts[t] if counts else 0, negatives[t] if negatives else 0,
                                round(fmean(past), 2) if past and counts else None,
                                episode.started_at <= at < end_of(episode)))
    return out


def span_hours(episode: WarningEpisode) -> int:
    return int((end_of(episode) - episode.started_at) / timedelta(hours=1))
