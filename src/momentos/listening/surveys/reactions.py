"""Survey invitations and answers from scores: the reaction of listening to stored events
(``momentos.bootstrap.reactions()``), in the same transaction as the events:

- a stored event that entered a moment with an attached survey invites its customer (dedup key: the survey and the
  event's message id, so a replayed event — not stored again — invites nobody twice), and so does an event of an
  activity of a touchpoint with a survey (once per process, or customer, and day); never when the event is older
  than the survey's validity (importing last year's log surveys nobody);
- a stored event whose properties carry scores (``nps``, ``csat``, ``ces``, optionally ``comment``) becomes a survey
  answer from the ``event`` source, keyed by its message id.

The organization's triggers (which moments and touchpoint activities have a survey) are kept per catalog version
(creating a survey renews it), so an organization without surveys pays a dict lookup per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from momentos.catalog.snapshot import CatalogSnapshot, Derived
from momentos.db import table_of
from momentos.dialect import insert_ignore
from momentos.events.reactions import Incoming, StoredBatch, StoredEvent
from momentos.listening.feedback.schemas import TEXT_MAX
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SCALES
from momentos.models import Feedback, Survey
from momentos.policy import service as policy

SCORE_KEYS = ("nps", "csat", "ces")
_SCORE_SET = frozenset(SCORE_KEYS)
COMMENT_KEYS = ("comment", "feedback")


@dataclass(frozen=True)
class Triggers:
    """What invites customers to surveys: entering a (service id, moment), or a (service id, activity) event."""

    moments: frozenset[tuple[int, str]]
    activities: frozenset[tuple[int, str]]


@dataclass(frozen=True)
class Invite:
    """A stored event that may invite its customer to a survey."""

    event: StoredEvent
    at_moment: bool
    """It entered a moment that has a survey."""
    at_touchpoint: bool
    """Its (service, activity) belongs to a touchpoint that has a survey."""


def triggers(session: Session, snapshot: CatalogSnapshot) -> Triggers:
    return Triggers(frozenset(surveys.attached(session, snapshot.org_id)),
                    frozenset(surveys.by_activity(session, snapshot.org_id)))


class SurveyInvitations:
    """Invite to surveys at their moments and touchpoints; store the scores events carry as answers."""

    name = "listening.surveys"

    def __init__(self) -> None:
        self._triggers = Derived(triggers)

    def before_store(self, session: Session, org_id: int) -> None:
        return None

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        """Whether these events could invite someone, or carry scores."""
        found = self._triggers.get(session, snapshot)
        return (any(sid in incoming.service_ids for sid, _ in found.moments | found.activities)
                or not incoming.property_names.isdisjoint(SCORE_KEYS))

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        found = self._triggers.get(session, batch.snapshot)
        moments, activities = found.moments, found.activities
        invites: list[Invite] = []
        scored: list[StoredEvent] = []
        for e in batch.events:
            at_moment = e.entered and (e.service_id, e.moment) in moments
            at_touchpoint = bool(activities) and (e.service_id, e.activity) in activities
            if at_moment or at_touchpoint:
                invites.append(Invite(e, at_moment, at_touchpoint))
            if e.properties and not _SCORE_SET.isdisjoint(e.properties):  # it carries scores
                scored.append(e)
        if invites:
            _invite(session, batch.org_id, invites, batch.received_at)
        if scored:
            _scores(session, batch.org_id, scored, batch.received_at)


def _invite(session: Session, org_id: int, invites: Sequence[Invite], now: datetime) -> int:
    at_moment = surveys.attached(session, org_id) if any(i.at_moment for i in invites) else {}
    at_touchpoint = surveys.by_activity(session, org_id) if any(i.at_touchpoint for i in invites) else {}
    todo: list[tuple[StoredEvent, Survey, str]] = []
    for i in invites:
        e = i.event
        if e.service_id is None:
            continue
        survey = at_moment.get((e.service_id, e.moment)) if i.at_moment and e.moment else None
        survey = survey or (at_touchpoint.get((e.service_id, e.activity)) if i.at_touchpoint else None)
        if survey is None or e.timestamp < now - timedelta(hours=survey.valid_hours):
            continue  # an old event (an imported log, a late replay) is no reason to ask today
        # a moment's survey: once per entry; a touchpoint's: once per process (or customer) and day, however many
        # of the touchpoint's activities happen that day
        dedup = (f"{survey.id}:{e.message_id}" if survey.touchpoint_id is None else
                 f"{survey.id}:tp:{e.process_id or f'c{e.customer_id}'}:{e.timestamp.date().isoformat()}")
        todo.append((e, survey, dedup))
    # each invitation is decided under its customer's lock (caps count what is queued): all taken first, in order
    policy.lock_customers(session, {e.customer_id for e, _, _ in todo})
    done = 0
    for e, survey, dedup in todo:
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
    if not rows:
        return 0
    return len(insert_ignore(session, table_of(Feedback), rows, ("org_id", "source", "external_id"),
                             returning=("id",)))
