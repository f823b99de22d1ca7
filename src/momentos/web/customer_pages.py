"""Pages of customers: the searchable list, and one customer's profile, processes and timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Protocol
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import Deviation
from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.customers import service as customers
from momentos.customers.schemas import CustomerUpdate
from momentos.dashboard import customer as customer_view
from momentos.dashboard.consent_grid import consent_grid
from momentos.errors import BadRequest
from momentos.events import service as events
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.listening.surveys import service as surveys
from momentos.models import Event, Process, Service
from momentos.policy.engine import CHANNELS, PURPOSES
from momentos.processes import service as processes
from momentos.web.access import AnyRole, Recorder
from momentos.web.form_errors import MESSAGES, FieldError, field_errors
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
LINK_PROBLEMS: dict[str, str] = {
    "unknown_survey": N_("Choose a survey from the list."),
    "invitation_exists": N_("That survey link was just made: reload the page to see it."),
}
"""What the customer page says when a link could not be made (``?problem=`` after the link forms)."""
PAGE_SIZE = 25
TIMELINE_SIZE = 100
PROCESS_LIMIT = 50
MAX_SEARCH = 100
CONSENT_HISTORY_SIZE = 100
CONSENT_SOURCES = ("phone", "in_person", "written")
"""How the customer told staff, recorded as the statement's source (``consent_source`` labels)."""
CONSENT_FIELDS = {"consents.0.channel": "channel", "consents.0.purpose": "purpose", "consents.0.granted": "granted",
                  "consents": "channel"}


class StayRow(Protocol):
    """One stay of a process in a moment, as ``processes.history`` returns it."""

    @property
    def moment(self) -> str: ...
    @property
    def cycle(self) -> int: ...
    @property
    def entered_at(self) -> datetime: ...
    @property
    def left_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Stay:
    moment: str
    cycle: int
    entered_at: datetime
    left_at: datetime | None
    duration: timedelta


@dataclass(frozen=True)
class DeviationView:
    """One deviation of a process from its service's designed journey (analytics/conformance.py), for the page."""

    kind: str
    moment: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class ProcessView:
    process: Process
    service: Service
    current_moment: str | None
    history: list[Stay]
    deviations: list[DeviationView] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineEntry:
    event: Event
    service: Service | None
    moment: str | None


class Catalog:
    """The organization's services and their journey models, loaded once per page."""

    def __init__(self, session: Session, org_id: int) -> None:
        self._session, self._org_id = session, org_id
        self.services = {s.id: s for s in catalog.list_services(session, org_id)}
        self.by_key = {s.key: s for s in self.services.values()}
        self._models: dict[str, JourneyModelDef] = {}

    def model(self, service: Service) -> JourneyModelDef:
        key = service.journey_model_key
        if key not in self._models:
            self._models[key] = catalog.get_journey_model(self._session, self._org_id, key)
        return self._models[key]

    def moment_name(self, service: Service | None, moment: str | None, lang: str) -> str | None:
        if service is None or moment is None:
            return moment
        model = self.model(service)
        return model.moment(moment).name(lang) if model.has(moment) else moment


@router.get("/customers", name="customers")
def customers_page(request: Request, viewer: AnyRole, session: DbSession, pages: PagesDep, q: str = "",
                   after: str = "") -> Response:
    q = q.strip()[:MAX_SEARCH]
    rows = customers.list_customers(session, viewer.org_id, limit=PAGE_SIZE + 1, after=after or None,
                                    search=q or None)
    shown = rows[:PAGE_SIZE]
    next_after = shown[-1].external_id if len(rows) > PAGE_SIZE else None
    spans = customers.activity_span(session, [c.id for c in shown])
    return pages.render(request, "customers.html", {
        "customers": [(c, spans.get(c.id)) for c in shown], "q": q,
        "first_url": _list_url(q, None) if after else None,
        "next_url": _list_url(q, next_after) if next_after else None}, viewer=viewer)


def _list_url(q: str, after: str | None) -> str:
    params = {k: v for k, v in (("q", q), ("after", after)) if v}
    return f"/customers?{urlencode(params)}" if params else "/customers"


def _stays(rows: Sequence[StayRow], now: datetime) -> list[Stay]:
    return [Stay(h.moment, h.cycle, h.entered_at, h.left_at, (h.left_at or now) - h.entered_at) for h in rows]


def _process_views(session: Session, org_id: int, customer_id: int, known: Catalog, lang: str) -> list[ProcessView]:
    now = utcnow()
    views = []
    listed = processes.list_processes(session, org_id, customer_id=customer_id, limit=PROCESS_LIMIT)
    deviations = analytics.processes_deviations(session, org_id, {p.id: p.service_id for p in listed})
    for p in listed:
        service = known.services[p.service_id]
        history = [Stay(known.moment_name(service, s.moment, lang) or s.moment, s.cycle, s.entered_at, s.left_at,
                        s.duration) for s in _stays(processes.history(session, p.id), now)]
        views.append(ProcessView(p, service, known.moment_name(service, p.current_moment, lang), history,
                                 [_deviation(x, known.moment_name(service, x.moment, lang) or x.moment)
                                  for x in deviations.get(p.id, [])]))
    return views


_AT_ARRIVAL = ("skipped", "out_of_order", "backward")
"""Kinds whose deviation happened at the move's arrival (their steps: from where, to where)."""


def _deviation(x: Deviation, moment: str) -> DeviationView:
    at = x.steps[-1][1] if x.kind in _AT_ARRIVAL else x.steps[0][1]
    return DeviationView(x.kind, moment, x.channel, at)


@router.get("/customers/{external_id:path}", name="customer")
def customer_page(external_id: str, request: Request, viewer: AnyRole, session: DbSession,
                  pages: PagesDep, problem: str = "") -> Response:
    return _customer(request, viewer, session, pages, external_id, problem=problem)


def _customer(request: Request, viewer: Viewer, session: Session, pages: PagesDep, external_id: str, *,
              form: dict[str, str] | None = None, errors: dict[str, FieldError] | None = None,
              status: int = 200, problem: str = "") -> Response:
    customer = customers.get_customer(session, viewer.org_id, external_id)
    lang = pages.language(request)
    known = Catalog(session, viewer.org_id)
    timeline = []
    for event, service_key in events.timeline(session, viewer.org_id, customer.id, limit=TIMELINE_SIZE):
        service = known.by_key.get(service_key) if service_key else None
        timeline.append(TimelineEntry(event, service, known.moment_name(service, event.moment, lang)))
    process_views = _process_views(session, viewer.org_id, customer.id, known, lang)
    return pages.render(request, "customer.html", {
        "customer": customer, "span": customers.activity_span(session, [customer.id]).get(customer.id),
        "consent_grid": consent_grid(session, viewer.org_id, customer),
        "consent_history": customers.consent_history(session, customer.id, limit=CONSENT_HISTORY_SIZE),
        "consent_channels": CHANNELS, "consent_purposes": PURPOSES, "consent_sources": CONSENT_SOURCES,
        "consent_form": form or {}, "errors": errors or {},
        "processes": process_views, "timeline": timeline, "timeline_size": TIMELINE_SIZE,
        "decisions": customer_view.decisions(session, viewer.org_id, customer.id, lang),
        "promises": customer_view.promises_of(session, viewer.org_id, customer.id, lang),
        "feedback": customer_view.feedback_of(session, viewer.org_id, customer.id),
        "status_links": customer_view.status_links(session, [v.process.id for v in process_views]),
        "survey_links": customer_view.survey_links(session, [v.process.id for v in process_views], utcnow()),
        "surveys": surveys.list_surveys(session, viewer.org_id), "link_problem": LINK_PROBLEMS.get(problem),
        "public_url": request.app.state.settings.public_url}, viewer=viewer, status=status)


@router.post("/customers/{external_id:path}/consents", name="customer_consent")
def record_consent(external_id: str, request: Request, viewer: Recorder, session: DbSession, pages: PagesDep,
                   channel: Annotated[str, Form()] = "", purpose: Annotated[str, Form()] = "",
                   granted: Annotated[str, Form()] = "", source: Annotated[str, Form()] = "",
                   csrf: Annotated[str, Form()] = "") -> Response:
    """Record what the customer told staff: consent granted or withdrawn for a purpose on a channel (``*``: all),
    through the same service as ``PATCH /api/v1/customers/{id}``, audited with the viewer."""
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    form = {"channel": channel[:32], "purpose": purpose[:32], "granted": granted[:8], "source": source[:32]}
    if form["source"] not in CONSENT_SOURCES:
        return _customer(request, viewer, session, pages, external_id, form=form, status=400,
                         errors={"source": FieldError(MESSAGES["literal_error"])})
    try:
        data = CustomerUpdate.model_validate({"consents": [
            {"channel": form["channel"], "purpose": form["purpose"], "granted": form["granted"]}]})
    except ValidationError as exc:
        return _customer(request, viewer, session, pages, external_id, form=form, status=400,
                         errors=field_errors(exc, CONSENT_FIELDS))
    customers.update_customer(session, viewer.org_id, external_id, data, source=form["source"], actor=viewer.actor)
    return RedirectResponse(f"/customers/{quote(external_id, safe='')}#consent-history", status_code=303)
