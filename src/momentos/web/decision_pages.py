"""Why was (or wasn't) this customer contacted: every contact-policy decision about a customer, newest first, with
its outcome, channel, purpose, moment, time in the customer's zone, the reasons in the page's language and the
delivery state of the notification it was about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.customers import service as customers
from momentos.models import ContactDecision, Notification
from momentos.policy import service as policy
from momentos.policy.messages import explain
from momentos.web.customer_pages import Catalog
from momentos.web.rendering import PagesDep
from momentos.web.session import SignedIn

router = APIRouter()
DECISION_LIMIT = 200


@dataclass(frozen=True)
class DecisionView:
    decision: ContactDecision
    notification: Notification | None
    moment: str | None
    reasons: list[str]

    @property
    def delivered_at(self) -> datetime | None:
        return self.notification.sent_at if self.notification else None


@router.get("/customers/{external_id:path}/contact-decisions", name="contact_decisions")
def decisions_page(external_id: str, request: Request, viewer: SignedIn, session: DbSession,
                   pages: PagesDep) -> Response:
    customer = customers.get_customer(session, viewer.org_id, external_id)
    lang = pages.language(request)
    known = Catalog(session, viewer.org_id)
    views = []
    for d, n in policy.decisions_with_notifications(session, viewer.org_id, customer.id, DECISION_LIMIT):
        service = known.services.get(n.service_id) if n and n.service_id else None
        moment = known.moment_name(service, n.moment, lang) if n else None
        views.append(DecisionView(d, n, moment, [explain(r["code"], r.get("params", {}), lang) for r in d.reasons]))
    return pages.render(request, "contact_decisions.html", {
        "customer": customer, "views": views, "limit": DECISION_LIMIT,
        "customer_timezone": customer.timezone or viewer.timezone}, viewer=viewer)
