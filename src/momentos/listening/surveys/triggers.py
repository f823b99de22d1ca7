"""What ingestion tells listening, in the same transaction as the events (``events/service.py::_listen``):

- an event that entered a moment with an attached survey invites its customer (dedup key: the survey and the
  event's message id, so a replayed event — not stored again — invites nobody twice), unless the event is older
  than the survey's validity (importing last year's log surveys nobody);
- an event whose properties carry scores (``nps``, ``csat``, ``ces``, optionally ``comment``) becomes a survey
  answer from the ``event`` source, keyed by its message id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.listening.feedback.schemas import TEXT_MAX
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SCALES
from momentos.models import Feedback

SCORE_KEYS = ("nps", "csat", "ces")
COMMENT_KEYS = ("comment", "feedback")


@dataclass(frozen=True)
class StoredEvent:
    id: int
    message_id: str
    customer_id: int
    service_id: int | None
    process_id: int | None
    moment: str | None
    entered: bool
    """It entered a moment that has a survey."""
    activity: str
    touched: bool
    """Its (service, activity) belongs to a touchpoint that has a survey."""
    timestamp: datetime
    properties: Mapping[str, Any]


def has_scores(properties: Mapping[str, Any] | None) -> bool:
    return bool(properties) and any(k in properties for k in SCORE_KEYS)  # type: ignore[operator]


def events_stored(session: Session, org_id: int, events: Sequence[StoredEvent], now: datetime) -> int:
    """Invitations queued plus answers stored."""
    return _invite(session, org_id, events, now) + _scores(
        session, org_id, [e for e in events if has_scores(e.properties)], now)


def _invite(session: Session, org_id: int, events: Sequence[StoredEvent], now: datetime) -> int:
    if not any(e.entered or e.touched for e in events):
        return 0
    at_moment = surveys.attached(session, org_id) if any(e.entered for e in events) else {}
    at_touchpoint = surveys.by_activity(session, org_id) if any(e.touched for e in events) else {}
    done = 0
    for e in events:
        if e.service_id is None:
            continue
        survey = at_moment.get((e.service_id, e.moment)) if e.entered and e.moment else None
        survey = survey or (at_touchpoint.get((e.service_id, e.activity)) if e.touched else None)
        if survey is None or e.timestamp < now - timedelta(hours=survey.valid_hours):
            continue  # an old event (an imported log, a late replay) is no reason to ask today
        # a moment's survey: once per entry; a touchpoint's: once per process (or customer) and day, however many
        # of the touchpoint's activities happen that day
        dedup = (f"{survey.id}:{e.message_id}" if survey.touchpoint_id is None else
                 f"{survey.id}:tp:{e.process_id or f'c{e.customer_id}'}:{e.timestamp.date().isoformat()}")
        made = surveys.invite(session, org_id, survey, e.customer_id, dedup, now,
                              process_id=e.process_id, service_id=e.service_id, moment=e.moment)
        done += made is not None
    return done


def _score(value: Any, kind: str) -> int | None:
    """An integer score within the scale of ``kind``; anything else (out of range, 7.5, "good") is ignored."""
    low, high = SCALES[kind]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if low <= number <= high else None


def _scores(session: Session, org_id: int, events: Sequence[StoredEvent], now: datetime) -> int:
    rows: list[dict[str, Any]] = []
    for e in events:
        scores = {k: _score(e.properties.get(k), k) for k in SCORE_KEYS}
        if all(v is None for v in scores.values()):
            continue
        comment = next((str(e.properties[k]) for k in COMMENT_KEYS if isinstance(e.properties.get(k), str)), None)
        text = comment.strip()[:TEXT_MAX] if comment and comment.strip() else None
        rows.append({"org_id": org_id, "kind": "survey", "source": "event", "external_id": e.message_id,
                     "customer_id": e.customer_id, "process_id": e.process_id, "service_id": e.service_id,
                     "moment": e.moment, "text": text, "perception": {}, "occurred_at": e.timestamp,
                     "created_at": now, **scores})
    return len(insert_ignore(session, table_of(Feedback), rows, ("org_id", "source", "external_id"),
                             returning=("id",)))
