"""Why was (or wasn't) this customer contacted: every contact-policy decision about a customer, newest first, with
its outcome, channel, purpose, moment, time in the customer's zone, the reasons in the page's language and the
delivery state of the notification it was about. One row per notification: its newest decision, its earlier ones
(the request and the worker's re-checks before each try) folded under it, its delivery attempts, channel switches
(a channel the organization cannot deliver on, a permanent failure) and why, the last error and the final state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.customers import service as customers
from momentos.models import ContactDecision, Notification, NotificationAttempt
from momentos.notify import attempts as delivery
from momentos.policy import service as policy
from momentos.policy.messages import explain
from momentos.web.access import AnyRole
from momentos.web.customer_pages import CONSENT_HISTORY_SIZE, Catalog
from momentos.web.rendering import PagesDep

router = APIRouter()
DECISION_LIMIT = 200


@dataclass(frozen=True)
class AttemptView:
    attempt: NotificationAttempt
    why: str | None
    """A permanent failure's explanation, in the page's language."""


@dataclass(frozen=True)
class SwitchView:
    switch: delivery.Switch
    why: str


@dataclass(frozen=True)
class DecisionView:
    decision: ContactDecision
    notification: Notification | None
    moment: str | None
    reasons: list[str]
    attempts: list[AttemptView] = field(default_factory=list)
    switches: list[SwitchView] = field(default_factory=list)
    earlier: list[tuple[ContactDecision, list[str]]] = field(default_factory=list)
    """The notification's earlier decisions (the request, then the worker's re-checks before each try), oldest
    first: one row per notification, not one per re-check."""

    @property
    def delivered_at(self) -> datetime | None:
        return self.notification.sent_at if self.notification else None


def _attempt(a: NotificationAttempt, lang: str) -> AttemptView:
    failed = a.outcome in ("switched", "permanent_failure")
    return AttemptView(a, explain("channel_failed", {"channel": a.channel, "failure": a.reason}, lang)
                       if failed else None)


@router.get("/customers/{external_id:path}/contact-decisions", name="contact_decisions")
def decisions_page(external_id: str, request: Request, viewer: AnyRole, session: DbSession,
                   pages: PagesDep) -> Response:
    customer = customers.get_customer(session, viewer.org_id, external_id)
    lang = pages.language(request)
    known = Catalog(session, viewer.org_id)
    views: list[DecisionView] = []
    found = policy.decisions_with_notifications(session, viewer.org_id, customer.id, DECISION_LIMIT)
    ids = {n.id for _, n in found if n is not None}
    tried = delivery.of_notifications(session, ids)
    switched = delivery.switches_of(session, ids, tried)
    row_of: dict[int, DecisionView] = {}
    for d, n in found:  # newest first: a notification's row shows its newest decision, the others fold into it
        if n is not None and n.id in row_of:
            row_of[n.id].earlier.insert(0, (d, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons]))
            continue
        service = known.services.get(n.service_id) if n and n.service_id else None
        moment = known.moment_name(service, n.moment, lang) if n else None
        view = DecisionView(
            d, n, moment, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons],
            [_attempt(a, lang) for a in tried[n.id]] if n else [],
            [SwitchView(s, explain(s.code, s.params, lang)) for s in switched[n.id]] if n else [])
        if n is not None:
            row_of[n.id] = view
        views.append(view)
    return pages.render(request, "contact_decisions.html", {
        "customer": customer, "views": views, "limit": DECISION_LIMIT,
        "consent_history": customers.consent_history(session, customer.id, limit=CONSENT_HISTORY_SIZE),
        "customer_timezone": customer.timezone or viewer.timezone}, viewer=viewer)
