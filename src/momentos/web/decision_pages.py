"""Why was (or wasn't) this customer contacted: every contact-policy decision about a customer, newest first, with
its outcome, channel, purpose, moment, time in the customer's zone, the reasons in the page's language and the
delivery state of the notification it was about — with, on the newest decision of each notification, its delivery
attempts and channel switches (a channel the organization cannot deliver on, a permanent failure) and why."""

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
    """Shown on the newest decision of its notification only."""
    switches: list[SwitchView] = field(default_factory=list)

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
    views = []
    found = policy.decisions_with_notifications(session, viewer.org_id, customer.id, DECISION_LIMIT)
    ids = {n.id for _, n in found if n is not None}
    tried = delivery.of_notifications(session, ids)
    switched = delivery.switches_of(session, ids, tried)
    for d, n in found:
        service = known.services.get(n.service_id) if n and n.service_id else None
        moment = known.moment_name(service, n.moment, lang) if n else None
        first = n is not None and n.id in ids
        if first:
            assert n is not None
            ids.discard(n.id)
        views.append(DecisionView(
            d, n, moment, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons],
            [_attempt(a, lang) for a in tried[n.id]] if first and n else [],
            [SwitchView(s, explain(s.code, s.params, lang)) for s in switched[n.id]] if first and n else []))
    return pages.render(request, "contact_decisions.html", {
        "customer": customer, "views": views, "limit": DECISION_LIMIT,
        "consent_history": customers.consent_history(session, customer.id, limit=CONSENT_HISTORY_SIZE),
        "customer_timezone": customer.timezone or viewer.timezone}, viewer=viewer)
