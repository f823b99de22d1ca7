"""Early warning: per organization and per service, the negative mentions of the rolling hour, checked every
15 minutes against the scope's own history (``warning.rolling``: the count and the share must both jump; a day-to-day
baseline with a stricter level while the scope has less than two weeks of history, silence before one day).

An alarm opens an episode, which stays open while the rolling hour stays elevated; each episode is one row, unique per
(organization, scope, start), and one staff alert through the outbox (dedup key = the episode), so a re-run or a
second worker alerts nobody twice. Each check replays the last hours (``REPLAY``) so an episode seen by the previous
check is extended, not opened again. The alert is a staff alert (``notify.tasks.STAFF_ALERT``: no customer, no
customer policy), sent to the organization's alert e-mail, else its webhook. ``backfill`` replays the detector over
stored feedback (an imported history) and returns the episodes it would have opened, writing nothing.

An episode's ``started_at`` is its onset (the quarter where the first alarming rolling hour's excess of negatives
begins) and ``last_hour_at`` the start of its last elevated rolling hour, so [started_at, last_hour_at + 1 h) covers
its mentions; ``count`` and ``negatives`` are those of
its peak rolling hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record_change
from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.listening.analysis.service import settings_of
from momentos.listening.warning.rolling import Check, Episode, Rules, mode_of, scan
from momentos.models import Feedback, ListeningSettings, Organization, Service, WarningEpisode
from momentos.notify import outbox
from momentos.notify.tasks import STAFF_ALERT

SEASON = 168
"""Hours in a week (the hourly timeline of an episode compares each hour with the same hour of previous weeks)."""
HISTORY_SEASONS = 5
HOUR = timedelta(hours=1)
STEP = timedelta(minutes=15)
RULES = Rules()
REPLAY = 24 * STEP
"""Each check replays this much before the last one, to extend an episode it already saw."""
CATCH_UP = timedelta(days=1)
"""After a long pause the check looks back this far at most (``backfill`` replays older history on demand)."""
LOOKBACK = (RULES.weeks * RULES.week + RULES.window + RULES.spread) * STEP


@dataclass(frozen=True)
class Found:
    """An episode the detector finds in stored feedback (before it is recorded)."""

    service_id: int | None
    started_at: datetime
    last_hour_at: datetime
    alarmed_at: datetime
    """When the first alarming check ran (the end of the first alarming rolling hour)."""
    peak: Check
    first: Check

    @property
    def scope(self) -> str:
        return f"service:{self.service_id}" if self.service_id is not None else "organization"


def set_alert_email(session: Session, org_id: int, alert_email: str | None, now: datetime, *,
                    actor: Actor) -> ListeningSettings:
    """Change where early-warning alerts go (recorded in the audit log)."""
    row = settings_of(session, org_id, now)
    before = {"alert_email": row.alert_email}
    row.alert_email, row.updated_at = alert_email, now
    session.flush()
    record_change(session, org_id, actor, "listening_settings.update", "listening_settings", before=before,
                  after={"alert_email": row.alert_email})
    return row


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def series(session: Session, org_id: int, start: datetime, end: datetime) -> dict[int | None, tuple[list[int],
                                                                                                 list[int]]]:
    """Hourly (counts, negatives) from ``start`` to ``end`` (exclusive) for the organization (key None) and each
    service."""
    hours = int((end - start) / HOUR)
    out: dict[int | None, tuple[list[int], list[int]]] = defaultdict(lambda: ([0] * hours, [0] * hours))
    out[None]
    rows = session.execute(select(Feedback.occurred_at, Feedback.sentiment, Feedback.service_id).where(
        Feedback.org_id == org_id, Feedback.sentiment.is_not(None), Feedback.occurred_at >= start,
        Feedback.occurred_at < end))
    for at, sentiment, service_id in rows:
        i = int((at - start) / HOUR)
        for key in {None, service_id}:
            counts, negatives = out[key]
            counts[i] += 1
            negatives[i] += sentiment == "neg"
    return dict(out)


def quarter_floor(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def steps(session: Session, org_id: int, start: datetime, end: datetime) -> dict[int | None, tuple[list[int],
                                                                                                list[int]]]:
    """Mentions and negative ones per 15-minute step from ``start`` to ``end`` (exclusive), for the organization (key
    None) and each service."""
    count = int((end - start) / STEP)
    out: dict[int | None, tuple[list[int], list[int]]] = defaultdict(lambda: ([0] * count, [0] * count))
    out[None]
    rows = session.execute(select(Feedback.occurred_at, Feedback.sentiment, Feedback.service_id).where(
        Feedback.org_id == org_id, Feedback.sentiment.is_not(None), Feedback.occurred_at >= start,
        Feedback.occurred_at < end))
    for at, sentiment, service_id in rows:
        i = int((at - start) / STEP)
        for key in {None, service_id}:
            counts, negatives = out[key]
            counts[i] += 1
            negatives[i] += sentiment == "neg"
    return dict(out)


def first_mentions(session: Session, org_id: int) -> dict[int | None, datetime]:
    """When each scope's own history starts: its first analysed mention (the organization's under key None)."""
    rows = session.execute(select(Feedback.service_id, func.min(Feedback.occurred_at)).where(
        Feedback.org_id == org_id, Feedback.sentiment.is_not(None)).group_by(Feedback.service_id)).all()
    out: dict[int | None, datetime] = {service_id: at for service_id, at in rows if service_id is not None}
    if rows:
        out[None] = min(at for _, at in rows)
    return out


def mode(session: Session, org_id: int, now: datetime) -> str:
    """The detector's mode for the whole organization now: ``silent`` (less than a day of its own history),
    ``warming`` (less than two weeks: a day-to-day baseline, stricter) or ``full`` (same time of the week)."""
    first = first_mentions(session, org_id).get(None)
    if first is None:
        return mode_of(0, RULES)
    return mode_of(int((quarter_floor(now) - RULES.window * STEP - first) / STEP), RULES)


def find(session: Session, org_id: int, start: datetime, end: datetime) -> list[Found]:
    """The episodes of the checks from ``start`` to ``end`` (quarter hours, both included), every scope, oldest
    first; nothing is written."""
    start, end = quarter_floor(start), quarter_floor(end)
    origin = start - LOOKBACK
    firsts = first_mentions(session, org_id)
    found = []
    for service_id, (counts, negatives) in steps(session, org_id, origin, end).items():
        first = firsts.get(service_id)
        if first is None:
            continue
        episodes = scan(counts, negatives, first=int((first - origin) // STEP), start=int((start - origin) / STEP),
                        rules=RULES)
        found += [_found(service_id, origin, e) for e in episodes]
    return sorted(found, key=lambda f: (f.started_at, f.service_id is not None, f.service_id or 0))


def _found(service_id: int | None, origin: datetime, episode: Episode) -> Found:
    window = RULES.window * STEP
    alarmed_at = origin + episode.first.index * STEP
    return Found(service_id, origin + episode.onset * STEP, origin + episode.last * STEP - window, alarmed_at,
                 episode.peak, episode.first)


def backfill(session: Session, org_id: int, start: datetime, end: datetime) -> list[Found]:
    """The episodes the detector would have opened over stored feedback from ``start`` to ``end`` (e.g. an imported
    history, which the regular check never looks back at), each scope against its own history; writes nothing."""
    return [f for f in find(session, org_id, start, end) if f.alarmed_at >= quarter_floor(start)]


def check(session: Session, org_id: int, now: datetime) -> int:
    """The checks due since the last one (every 15 minutes, on the rolling hour); returns the number of new episodes
    (each alerted once; an episode that goes on is extended, not alerted again)."""
    settings = settings_of(session, org_id, now)
    end = quarter_floor(now)
    checked = max(settings.warning_checked_at or end - STEP, end - CATCH_UP)
    if checked >= end:
        return 0
    new = 0
    for found in find(session, org_id, checked - REPLAY, end):
        if found.last_hour_at + RULES.window * STEP > checked:
            new += _record(session, org_id, found)
    settings.warning_checked_at = end
    session.flush()
    return new


def _record(session: Session, org_id: int, found: Found) -> int:
    """Extend the stored episode this one continues, or store it and alert (1)."""
    close = RULES.close_after * STEP
    row = session.scalar(select(WarningEpisode).where(
        WarningEpisode.org_id == org_id, WarningEpisode.scope == found.scope,
        WarningEpisode.started_at <= found.last_hour_at + close,
        WarningEpisode.last_hour_at >= found.started_at - close).order_by(WarningEpisode.started_at.desc()).limit(1))
    if row is None:
        inserted = insert_ignore(session, table_of(WarningEpisode), [{
            "org_id": org_id, "scope": found.scope, "service_id": found.service_id, "started_at": found.started_at,
            "last_hour_at": found.last_hour_at, "count": found.peak.count, "negatives": found.peak.negatives,
            "detail": _detail(found), "created_at": found.alarmed_at}], ("org_id", "scope", "started_at"),
            returning=("id",))
        if inserted:
            _alert(session, org_id, found.service_id, found.scope, found.started_at, found.started_at, found.first,
                   found.alarmed_at)
            return 1
        return 0
    if found.last_hour_at > row.last_hour_at:
        row.last_hour_at = found.last_hour_at
    if found.peak.negatives > row.negatives:
        row.count, row.negatives = found.peak.count, found.peak.negatives
    session.flush()
    return 0


def _detail(found: Found) -> dict[str, Any]:
    first = found.first
    return {"mode": first.mode, "alarmed_at": found.alarmed_at.isoformat(),
            "expected_negatives": round(first.expected_negatives, 2),
            "expected_share": round(first.expected_share, 4), "p_count": first.p_count, "p_share": first.p_share}


def _alert(session: Session, org_id: int, service_id: int | None, scope: str, started_at: datetime,
           hour_at: datetime, alarm: Check, now: datetime) -> None:
    org = session.get_one(Organization, org_id)
    service = session.get(Service, service_id) if service_id is not None else None
    examples = [t[:200] for t in session.scalars(select(Feedback.text).where(
        Feedback.org_id == org_id, Feedback.sentiment == "neg", Feedback.occurred_at >= hour_at,
        Feedback.occurred_at < hour_at + HOUR, *([Feedback.service_id == service_id] if service_id else []))
        .limit(3)) if t]
    params = {"org_name": org.name,
              "scope_name": {"es": service.name_es, "en": service.name_en} if service else
              {"es": "toda la organización", "en": "the whole organization"},
              "started_at": started_at.strftime("%Y-%m-%d %H:%M"), "count": alarm.count,
              "negatives": alarm.negatives, "expected": round(alarm.expected_negatives, 1),
              "baseline_share": round(100 * alarm.expected_share, 1), "examples": examples}
    settings = settings_of(session, org_id, now)
    params.update(staff_email=settings.alert_email, staff_webhook=True, language=org.default_language)
    outbox.enqueue_many(session, org_id, [outbox.NotificationIn(
        customer_id=None, purpose=STAFF_ALERT, template="listening_alert", priority="transactional",
        dedup_key=f"warning:{scope}:{started_at.isoformat()}", params=params, service_id=service_id)], now)


def recent_episodes(session: Session, org_id: int, since: datetime) -> list[WarningEpisode]:
    """Episodes whose last alarm hour is at or after ``since`` (the ones still worth attention)."""
    return list(session.scalars(select(WarningEpisode).where(
        WarningEpisode.org_id == org_id, WarningEpisode.last_hour_at >= since).order_by(WarningEpisode.started_at)))


def list_episodes(session: Session, org_id: int, limit: int) -> list[WarningEpisode]:
    """The organization's episodes, the latest started first."""
    return list(session.scalars(select(WarningEpisode).where(WarningEpisode.org_id == org_id)
                                .order_by(WarningEpisode.started_at.desc()).limit(limit)))
