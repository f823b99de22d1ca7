"""What an agent needs beside a customer's timeline: the contact decisions with their reasons in words, the
status-page link of each process, the customer's promises and feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from momentos.listening.feedback import service as feedback_service
from momentos.listening.surveys import service as surveys
from momentos.models import ContactDecision, Feedback
from momentos.notify import status_tokens
from momentos.policy import service as policy
from momentos.policy.messages import explain
from momentos.promises import service as promises

PROMISES_SHOWN = 50
FEEDBACK_SHOWN = 50

DECISIONS_SHOWN = 50


@dataclass(frozen=True)
class DecisionView:
    decision: ContactDecision
    reasons: list[str]


def decisions(session: Session, org_id: int, customer_id: int, lang: str) -> list[DecisionView]:
    return [DecisionView(d, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons])
            for d in policy.decisions_of(session, org_id, customer_id, DECISIONS_SHOWN)]


@dataclass(frozen=True)
class PromiseView:
    key: str
    text: str
    state: str
    process_id: int
    started_at: datetime
    due_at: datetime | None
    closed_at: datetime | None


def promises_of(session: Session, org_id: int, customer_id: int, lang: str) -> list[PromiseView]:
    """The customer's promises, newest first, with the promise's text in the page language."""
    return [PromiseView(d.key, str(d.texts.get(lang) or d.texts.get("en") or d.key), i.state, i.process_id,
                        i.started_at, i.due_at, i.closed_at)
            for i, d in promises.instances_of_customer(session, org_id, customer_id, PROMISES_SHOWN)]


def feedback_of(session: Session, org_id: int, customer_id: int) -> list[Feedback]:
    return feedback_service.feedback_of_customer(session, org_id, customer_id, FEEDBACK_SHOWN)


def status_links(session: Session, process_ids: Sequence[int]) -> dict[int, str]:
    """Process id → path of its status page (only processes that have an active token)."""
    links = {}
    for pid in process_ids:
        token = status_tokens.active_token(session, pid)
        if token is not None:
            links[pid] = f"/s/{token}"
    return links


@dataclass(frozen=True)
class SurveyLink:
    """A process's open survey invitation: the path of its survey page and when it stops taking answers."""

    path: str
    survey_id: int
    expires_at: datetime


def survey_links(session: Session, process_ids: Sequence[int], now: datetime) -> dict[int, SurveyLink]:
    """Process id → its latest unexpired survey invitation whose link can be derived again."""
    links = {}
    for pid in process_ids:
        invitation = surveys.open_invitation(session, pid, now)
        token = surveys.link_token_of(session, invitation) if invitation is not None else None
        if invitation is not None and token is not None:
            links[pid] = SurveyLink(f"/f/{token}", invitation.survey_id, invitation.expires_at)
    return links
