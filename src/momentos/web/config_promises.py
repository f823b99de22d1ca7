"""Configuration of a service's promises: the list with their compliance, a form to define one, and "what would
this have scored last month" (``promises.scoring``, nothing stored) for a stored promise or for the draft.

Managers define; analysts read (no form); agents get 403.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.errors import BadRequest, Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.models import Organization
from momentos.promises import definitions, indicators, scoring
from momentos.promises.schemas import PromiseCreate, ScoreResult
from momentos.web.access import Configurer, Reader
from momentos.web.form_errors import GENERAL, FieldError, field_errors
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
KINDS = ("time", "quality", "functionality", "payment", "exchange", "returns", "other")
LAST_MONTH = timedelta(days=30)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def last_month(now: datetime) -> tuple[datetime, datetime]:
    return now - LAST_MONTH, now


def _activities(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()][:50]


def draft_of(session: Session, org_id: int, service_key: str, form: dict[str, str]) -> PromiseCreate:
    """The form's fields as a promise definition (raises ``ValidationError``)."""
    rule: dict[str, Any] = {"type": form["rule_type"], "start_activity": form["start_activity"].strip()}
    if form["rule_type"] == "window":
        rule.update(window_hours=form["hours"] or None, breach_activities=_activities(form["breach_activities"]))
    elif form["rule_type"] == "score":
        rule.update(score_activity=form["score_activity"].strip() or None,
                    score_property=form["score_property"].strip() or None, min_score=form["min_score"] or None,
                    failure_activities=_activities(form["failure_activities"]), window_hours=form["hours"] or None)
    else:
        rule.update(type="time", stop_activity=form["stop_activity"].strip() or None,
                    target_hours=form["hours"] or None)
        if form["business_hours"]:
            tz = session.get_one(Organization, org_id).timezone
            rule["calendar"] = {"timezone": tz, "hours": {d: [("09:00", "18:00")] for d in WEEKDAYS}}
    recovery = {"es": form["recovery_es"], "en": form["recovery_en"]} if form["recovery_es"] and \
        form["recovery_en"] else None
    return PromiseCreate.model_validate({
        "key": form["key"].strip(), "service": service_key, "moment": form["moment"], "kind": form["kind"],
        "text": {"es": form["text_es"], "en": form["text_en"]}, "recovery": recovery, "rule": rule})


def _render(request: Request, viewer: Viewer, session: Session, pages: PagesDep, key: str, *,
            score: ScoreResult | None = None, scored: str | None = None, form: dict[str, str] | None = None,
            errors: dict[str, FieldError] | None = None, status: int = 200) -> Response:
    service = catalog.get_service(session, viewer.org_id, key)
    model = catalog.get_journey_model(session, viewer.org_id, service.journey_model_key)
    rows = definitions.list_definitions(session, viewer.org_id, service.key)
    compliance = {r.promise: r for r in indicators.compliance(session, viewer.org_id, by="promise", period="all",
                                                              service_id=service.id)}
    return pages.render(request, "config_promises.html", {
        "service": service, "model": model, "promises": rows, "compliance": compliance, "kinds": KINDS,
        "score": score, "scored": scored, "form": form or {}, "errors": errors or {},
        "general_error": (errors or {}).get(GENERAL)}, viewer=viewer, status=status)


@router.get("/config/services/{key}/promises", name="config_promises")
def promises_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                  score: str = "") -> Response:
    result = None
    if score:
        row = definitions.get(session, viewer.org_id, score[:64])
        service = catalog.get_service(session, viewer.org_id, key)
        if row.service_id != service.id:
            raise NotFound("Promise not found.", code="promise_not_found", detail={"promise": score[:64]})
        start, end = last_month(utcnow())
        result = scoring.score_rule(session, viewer.org_id, service.id, definitions.compile_definition(row).rule,
                                    start, end, end)
    return _render(request, viewer, session, pages, key, score=result, scored=score[:64] or None)


FIELDS = ("key", "moment", "kind", "text_es", "text_en", "recovery_es", "recovery_en", "rule_type",
          "start_activity", "stop_activity", "hours", "breach_activities", "business_hours", "score_activity",
          "score_property", "min_score", "failure_activities")
ERROR_FIELDS = {
    "key": "key", "moment": "moment", "kind": "kind", "text.es": "text_es", "text.en": "text_en",
    "recovery.es": "recovery_es", "recovery.en": "recovery_en", "rule": "rule_type",
    "rule.start_activity": "start_activity", "rule.stop_activity": "stop_activity", "rule.target_hours": "hours",
    "rule.due_property": "hours", "rule.window_hours": "hours", "rule.breach_activities": "breach_activities",
    "rule.calendar": "business_hours", "rule.score_activity": "score_activity",
    "rule.score_property": "score_property", "rule.min_score": "min_score",
    "rule.failure_activities": "failure_activities"}
"""Where the promise's validation errors (location in ``PromiseCreate``) are shown on the form."""


@router.post("/config/services/{key}/promises", name="config_promise_define")
def define_promise(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                   action: Annotated[str, Form()] = "save", csrf: Annotated[str, Form()] = "",
                   key_: Annotated[str, Form(alias="key")] = "", moment: Annotated[str, Form()] = "",
                   kind: Annotated[str, Form()] = "time", text_es: Annotated[str, Form()] = "",
                   text_en: Annotated[str, Form()] = "", recovery_es: Annotated[str, Form()] = "",
                   recovery_en: Annotated[str, Form()] = "", rule_type: Annotated[str, Form()] = "time",
                   start_activity: Annotated[str, Form()] = "", stop_activity: Annotated[str, Form()] = "",
                   hours: Annotated[str, Form()] = "", breach_activities: Annotated[str, Form()] = "",
                   business_hours: Annotated[str, Form()] = "", score_activity: Annotated[str, Form()] = "",
                   score_property: Annotated[str, Form()] = "", min_score: Annotated[str, Form()] = "",
                   failure_activities: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    form = {k: v[:2000] for k, v in zip(FIELDS, (key_, moment, kind, text_es, text_en, recovery_es, recovery_en,
                                                 rule_type, start_activity, stop_activity, hours.strip(),
                                                 breach_activities, business_hours, score_activity,
                                                 score_property, min_score.strip(), failure_activities),
                                             strict=True)}
    service = catalog.get_service(session, viewer.org_id, key)
    try:
        draft = draft_of(session, viewer.org_id, service.key, form)
        if action == "score":
            start, end = last_month(utcnow())
            result = scoring.score_rule(session, viewer.org_id, service.id, draft.rule.compile(), start, end, end)
            return _render(request, viewer, session, pages, key, score=result, scored="", form=form)
        definitions.create(session, viewer.org_id, draft, actor=viewer.actor)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _render(request, viewer, session, pages, key, form=form, errors=field_errors(exc, ERROR_FIELDS),
                       status=400)
    return RedirectResponse(f"/config/services/{key}/promises#promises", status_code=303)
