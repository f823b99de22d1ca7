"""Early warning: per organization and per service, the hourly series of analysed mentions and of negative ones,
against their own seasonal baseline (``warning.detect``: both the count and the negative share must jump).

An alarm hour opens an episode (consecutive alarm hours are one episode); each episode is one row, unique per
(organization, scope, start), and one staff alert through the outbox (dedup key = the episode), so a re-run or a
second worker alerts nobody twice. The alert is a staff alert (``notify.tasks.STAFF_ALERT``: no customer, no
customer policy), sent to the organization's alert e-mail, else its webhook.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record_change
from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.listening.analysis.service import settings_of
from momentos.models import Feedback, ListeningSettings, Organization, Service, WarningEpisode
from momentos.notify import outbox
from momentos.notify.tasks import STAFF_ALERT

SEASON = 168
HISTORY_SEASONS = 5
HOUR = timedelta(hours=1)


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


def check(session: Session, org_id: int, now: datetime) -> int:
    """Look at the whole hours not checked yet; returns the number of new episodes (each alerted once)."""
    from momentos.listening.warning.detector import detect

    settings = settings_of(session, org_id, now)
    end = hour_floor(now)
    start = end - HISTORY_SEASONS * SEASON * HOUR
    checked = settings.warning_checked_at or end - HOUR
    first_new = max(0, int((checked - start) / HOUR))
    new = 0
    for service_id, (counts, negatives) in series(session, org_id, start, end).items():
        alarms = {a.index: a for a in detect(counts, negatives, season=SEASON)}
        for index in sorted(i for i in alarms if i >= first_new):
            run_start = index
            while run_start - 1 in alarms:
                run_start -= 1
            new += _episode(session, org_id, service_id, start, run_start, alarms[index])
    settings.warning_checked_at = end
    session.flush()
    return new


def _episode(session: Session, org_id: int, service_id: int | None, start: datetime, run_start: int,
             alarm: Any) -> int:
    started_at, hour_at = start + run_start * HOUR, start + alarm.index * HOUR
    scope = f"service:{service_id}" if service_id is not None else "organization"
    now = hour_at + HOUR
    detail = {"expected_count": round(alarm.expected_count, 2), "expected_share": round(alarm.expected_share, 4),
              "p_count": alarm.p_count, "p_share": alarm.p_share}
    inserted = insert_ignore(session, table_of(WarningEpisode), [{
        "org_id": org_id, "scope": scope, "service_id": service_id, "started_at": started_at,
        "last_hour_at": hour_at, "count": alarm.count, "negatives": alarm.negatives, "detail": detail,
        "created_at": now}], ("org_id", "scope", "started_at"), returning=("id",))
    if not inserted:
        row = session.scalar(select(WarningEpisode).where(WarningEpisode.org_id == org_id,
                                                          WarningEpisode.scope == scope,
                                                          WarningEpisode.started_at == started_at))
        if row is not None and row.last_hour_at < hour_at:
            row.last_hour_at = hour_at
        return 0
    _alert(session, org_id, service_id, scope, started_at, hour_at, alarm, now)
    return 1


def _alert(session: Session, org_id: int, service_id: int | None, scope: str, started_at: datetime,
           hour_at: datetime, alarm: Any, now: datetime) -> None:
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
              "negatives": alarm.negatives, "expected": round(alarm.expected_count * alarm.expected_share, 1),
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
