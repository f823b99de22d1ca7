"""What an agent needs beside a customer's timeline: the contact decisions with their reasons in words, and the
status-page link of each process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from momentos.models import ContactDecision
from momentos.notify import status_tokens
from momentos.policy import service as policy
from momentos.policy.messages import explain

DECISIONS_SHOWN = 50


@dataclass(frozen=True)
class DecisionView:
    decision: ContactDecision
    reasons: list[str]


def decisions(session: Session, org_id: int, customer_id: int, lang: str) -> list[DecisionView]:
    return [DecisionView(d, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons])
            for d in policy.decisions_of(session, org_id, customer_id, DECISIONS_SHOWN)]


def status_links(session: Session, process_ids: Sequence[int]) -> dict[int, str]:
    """Process id → path of its status page (only processes that have an active token)."""
    links = {}
    for pid in process_ids:
        token = status_tokens.active_token(session, pid)
        if token is not None:
            links[pid] = f"/s/{token.token}"
    return links
