"""The customer's status page ``/s/<token>``: no login, an unguessable revocable token per process.

Shows where the process stands and what comes next, the promises that apply with their due dates and state, the
moment history, the channels to reach the company (the service's customer-started touchpoints) and a feedback box.
Spanish or English: ``?lang=`` (remembered in the language cookie), else the customer's language, else the
browser's. Unknown, revoked or malformed tokens are 404.

The feedback form is rate-limited per link (process) and per client address (token buckets of
:mod:`momentos.kit.token_bucket`, in process memory): a throttled post shows the page again with a polite message
(429) and stores nothing. The same text sent again for the same process within :data:`DUPLICATE_WINDOW` is thanked
for but not stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.errors import NotFound
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.token_bucket import RateLimiter, limiter_of
from momentos.listening.feedback import service as listening_feedback
from momentos.listening.surveys import service as surveys
from momentos.models import Customer, Organization, Process, Service, StatusFeedback
from momentos.notify import status_tokens
from momentos.processes import service as processes
from momentos.promises import service as promises
from momentos.web.errors import mark_page
from momentos.web.login import client_address
from momentos.web.rendering import LANG_COOKIE, LANG_COOKIE_AGE, SECURITY_HEADERS, Pages, get_pages, lang_url

router = APIRouter(dependencies=[Depends(mark_page)], include_in_schema=False)
FEEDBACK_MAX = 2000
PER_LINK = (1 / 60, 5)
"""Feedback posts per status link: a burst of 5, then one a minute (rate per second, burst)."""
PER_ADDRESS = (1 / 10, 20)
"""Feedback posts per client address, across links: a burst of 20, then one every 10 s."""
DUPLICATE_WINDOW = timedelta(hours=1)


@dataclass
class FeedbackLimits:
    per_link: RateLimiter
    per_address: RateLimiter

    def allows(self, process_id: int, address: str) -> bool:
        """Take a token from both buckets; False if either is empty."""
        return self.per_address.take(address) == 0 and self.per_link.take(process_id) == 0


def _limits(request: Request) -> FeedbackLimits:
    state = request.app.state
    return FeedbackLimits(limiter_of(state, "status_feedback_per_link", *PER_LINK),
                          limiter_of(state, "status_feedback_per_address", *PER_ADDRESS))


@dataclass(frozen=True)
class StatusView:
    org: Organization
    service: Service
    customer: Customer
    process: Process
    model: JourneyModelDef


def _view(session: Session, token: str) -> StatusView:
    row = status_tokens.find(session, token)
    if row is None:
        raise NotFound("Not found.", code="status_not_found")
    process = session.get_one(Process, row.process_id)
    if process.org_id != row.org_id:
        raise NotFound("Not found.", code="status_not_found")
    service = session.get_one(Service, process.service_id)
    customer = session.get_one(Customer, process.customer_id)
    return StatusView(session.get_one(Organization, row.org_id), service, customer, process,
                      catalog.get_journey_model(session, row.org_id, service.journey_model_key))


def _language(request: Request, view: StatusView) -> str:
    return i18n.negotiate(query=request.query_params.get("lang"), cookie=request.cookies.get(LANG_COOKIE),
                          accept_language=None, default=view.customer.language or view.org.default_language)


def _moment_name(model: JourneyModelDef, key: str | None, lang: str) -> str:
    if key is None:
        return ""
    return model.moment(key).name(lang) if model.has(key) else key


def _reach(channel: str, detail: str | None) -> dict[str, str | None]:
    """A way to reach the company: the channel, its detail (a number, an address…) and a link when there is one."""
    href = None
    if detail:
        digits = "".join(c for c in detail if c.isdigit() or c == "+")
        if channel == "phone" and digits:
            href = f"tel:{digits}"
        elif channel == "sms" and digits:
            href = f"sms:{digits}"
        elif channel == "whatsapp" and digits:
            href = f"https://wa.me/{digits.lstrip('+')}"
        elif channel == "email":
            href = f"mailto:{detail}"
        elif detail.lower().startswith(("https://", "http://")):
            href = detail
    return {"channel": channel, "detail": detail, "href": href}


def _context(session: Session, view: StatusView, lang: str) -> dict[str, Any]:
    model, process = view.model, view.process
    current = process.current_moment
    nxt = model.next_key(current) if current and model.has(current) else (model.keys[0] if model.keys else None)
    history = [{"name": _moment_name(model, s.moment, lang), "entered_at": s.entered_at, "left_at": s.left_at}
               for s in processes.history(session, process.id)]
    touchpoints = catalog.list_touchpoints(session, view.org.id, view.service.id)
    details = view.service.contact_details or {}
    reach = [_reach(channel, details.get(channel))
             for channel in sorted({tp.channel for tp in touchpoints if tp.initiator == "customer"} | set(details))]
    # A broken promise shows its recovery message (the apology and what happens next) beside it.
    promised = [{"text": d.texts.get(lang) or d.texts.get("es", ""), "state": i.state, "due_at": i.due_at,
                 "moment": _moment_name(model, d.moment, lang),
                 "recovery": (d.recovery or {}).get(lang) or (d.recovery or {}).get("es", "")
                 if i.state == "broken" else ""}
                for i, d in promises.instances_of_process(session, view.org.id, process.id) if d.active]
    return {"org_name": view.org.name, "service": view.service, "current": _moment_name(model, current, lang),
            "entered_at": process.entered_at, "next": _moment_name(model, nxt, lang), "history": history,
            "moments": [(m.key, m.name(lang)) for m in model.moments], "current_key": current, "reach": reach,
            "done_keys": set(model.keys[:model.keys.index(current)]) if current in model.keys else set(),
            "timezone": view.customer.timezone or view.org.timezone, "promises": promised,
            "survey_url": _survey_url(session, process)}


def _survey_url(session: Session, process: Process) -> str | None:
    """The open survey invitation of this process, if any (answering it is the richer kind of feedback)."""
    invitation = surveys.open_invitation(session, process.id, utcnow())
    token = surveys.link_token_of(session, invitation) if invitation is not None else None
    return f"/f/{token}" if token is not None else None


def _render(request: Request, pages: Pages, lang: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = pages.env.get_template("status/status.html").render({
        **context, "lang": lang, "viewer": None, "path": request.url.path,
        "lang_urls": {x: lang_url(request, x) for x in i18n.LANGUAGES}, "static_version": pages.static_version})
    response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, "Referrer-Policy": "no-referrer",
                                           "X-Robots-Tag": "noindex"})
    if i18n.supported(request.query_params.get("lang")):
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax",
                            secure=pages.secure_cookies)
    return response


@router.get("/s/{token}")
def status_page(token: str, request: Request, session: DbSession) -> Response:
    view = _view(session, token)
    lang = _language(request, view)
    context = _context(session, view, lang)
    context["thanks"] = request.query_params.get("sent") == "1"
    context["throttled"] = False
    return _render(request, get_pages(request), lang, context)


@router.post("/s/{token}/feedback")
def leave_feedback(token: str, request: Request, session: DbSession,
                   text: Annotated[str, Form(max_length=FEEDBACK_MAX)] = "") -> Response:
    """Store only the text, the moment it was about, the language and the time; throttled and deduplicated."""
    view = _view(session, token)
    text = text.strip()[:FEEDBACK_MAX]
    if not text:
        return RedirectResponse(f"/s/{token}?sent=1", status_code=303)
    if not _limits(request).allows(view.process.id, client_address(request)):
        lang = _language(request, view)
        context = {**_context(session, view, lang), "throttled": True, "thanks": False}
        return _render(request, get_pages(request), lang, context, status=429)
    now = utcnow()
    if not _sent_lately(session, view.process.id, text, now):
        row = StatusFeedback(org_id=view.org.id, process_id=view.process.id, moment=view.process.current_moment,
                             text=text, language=_language(request, view), created_at=now)
        session.add(row)
        session.flush()
        listening_feedback.from_status_page(session, row, view.customer.id, view.service.id)
    return RedirectResponse(f"/s/{token}?sent=1", status_code=303)


def _sent_lately(session: Session, process_id: int, text: str, now: datetime) -> bool:
    """Whether the same text came for this process within the duplicate window."""
    return session.scalar(select(StatusFeedback.id).where(
        StatusFeedback.process_id == process_id, StatusFeedback.text == text,
        StatusFeedback.created_at >= now - DUPLICATE_WINDOW).limit(1)) is not None
