"""Configuration for managers: each service's contact-level questionnaire (with the resulting level explained),
its touchpoints, its contact rules, and a "what would happen" preview of the policy for a sample customer.

Analysts see these pages read-only (no forms); agents get 403.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.schemas import ContactChannel, ServiceUpdate
from momentos.dashboard import preview as preview_mod
from momentos.errors import BadRequest, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.policy import service as policy
from momentos.policy.engine import PURPOSES
from momentos.policy.schemas import RuleSet
from momentos.web import catalog_forms
from momentos.web.access import Configurer, Reader
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("presence", ("none", "partial", "full")),
    ("participation", ("none", "limited", "active")),
    ("duration", ("short", "medium", "long")),
    ("people", ("none", "voice", "face_to_face")),
)


@router.get("/config", name="config")
def config_index(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    services = [(s, catalog.explain_level(s)) for s in catalog.list_services(session, viewer.org_id)]
    return pages.render(request, "config.html", {"services": services}, viewer=viewer)


def _service_rules(session: Session, org_id: int, service_id: int) -> dict[str, Any]:
    """The service layer of the contact rules as stored (what this page edits)."""
    return preview_mod.stored_rules(session, org_id, f"service:{service_id}")


def _render(request: Request, viewer: Viewer, session: Session, pages: PagesDep, key: str, *,
            error: str | None = None, status: int = 200, preview: preview_mod.Preview | None = None,
            preview_error: str | None = None, sample: str = "", purpose: str = "status",
            moment: str = "", contact_form: dict[str, str] | None = None, contact_error: str = "",
            **forms: Any) -> Response:
    """The service's configuration page; ``forms`` override :func:`catalog_forms.defaults` (a form sent back with
    what was typed and its errors, the touchpoint being edited, the journey model being looked at)."""
    service = catalog.get_service(session, viewer.org_id, key)
    model = catalog.get_journey_model(session, viewer.org_id, service.journey_model_key)
    touchpoints = catalog.list_touchpoints(session, viewer.org_id, service.id)
    return pages.render(request, "config_service.html", {
        "service": service, "model": model, "level": catalog.explain_level(service), "questions": QUESTIONS,
        "touchpoints": touchpoints,
        "rules": _service_rules(session, viewer.org_id, service.id), "purposes": PURPOSES, "error": error,
        "preview": preview, "preview_error": preview_error, "sample": sample, "purpose": purpose,
        "moment": moment, "contact_channels": CONTACT_CHANNELS,
        "contact": contact_form if contact_form is not None else dict(service.contact_details or {}),
        "contact_error": contact_error,
        **catalog_forms.context(session, viewer.org_id, service, touchpoints, forms)}, viewer=viewer, status=status)


@router.get("/config/services/{key}", name="config_service")
def config_service(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                   customer: str = "", purpose: str = "status", moment: str = "", edit: str = "",
                   model: str = "") -> Response:
    result, problem = None, None
    purpose = purpose if purpose in PURPOSES else "status"
    if customer:
        service = catalog.get_service(session, viewer.org_id, key)
        try:
            result = preview_mod.preview(session, viewer.org_id, service.id, customer.strip()[:255], purpose,
                                         moment[:64] or None, utcnow(),
                                         channels=request.app.state.settings.notify.channels)
        except NotFound:
            problem = "unknown_customer"
    return _render(request, viewer, session, pages, key, preview=result, preview_error=problem,
                   sample=customer[:255], purpose=purpose, moment=moment[:64],
                   editing=int(edit) if edit.isdigit() and len(edit) < 19 else None, model_choice=model[:64])


def _check(request: Request, csrf: str) -> None:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")


@router.post("/config/services/{key}/assessment", name="config_assessment")
def save_assessment(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                    presence: Annotated[str, Form()] = "", participation: Annotated[str, Form()] = "",
                    duration: Annotated[str, Form()] = "", people: Annotated[str, Form()] = "",
                    facility: Annotated[bool, Form()] = False, equipment: Annotated[bool, Form()] = False,
                    csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    try:
        answers = Assessment.model_validate({"presence": presence, "participation": participation,
                                             "duration": duration, "people": people, "facility": facility,
                                             "equipment": equipment})
    except ValidationError:
        return _render(request, viewer, session, pages, key, error="assessment", status=400)
    catalog.update_service(session, viewer.org_id, key, ServiceUpdate(assessment=answers), actor=viewer.actor)
    return RedirectResponse(f"/config/services/{key}#level", status_code=303)


def _clock(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


CONTACT_CHANNELS: tuple[str, ...] = get_args(ContactChannel)
"""The channels a service can give contact details for, in the form's order."""


@router.post("/config/services/{key}/contact", name="config_contact")
def save_contact(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                 contact_phone: Annotated[str, Form()] = "", contact_email: Annotated[str, Form()] = "",
                 contact_whatsapp: Annotated[str, Form()] = "", contact_sms: Annotated[str, Form()] = "",
                 contact_web: Annotated[str, Form()] = "", contact_chat: Annotated[str, Form()] = "",
                 contact_app: Annotated[str, Form()] = "", contact_social: Annotated[str, Form()] = "",
                 contact_store: Annotated[str, Form()] = "", contact_mail: Annotated[str, Form()] = "",
                 csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    given = {"phone": contact_phone, "email": contact_email, "whatsapp": contact_whatsapp, "sms": contact_sms,
             "web": contact_web, "chat": contact_chat, "app": contact_app, "social": contact_social,
             "store": contact_store, "mail": contact_mail}
    entered = {c: given[c].strip() for c in CONTACT_CHANNELS}
    try:
        data = ServiceUpdate.model_validate({"contact_details": entered})
        catalog.update_service(session, viewer.org_id, key, data, actor=viewer.actor)
    except (ValidationError, ValidationFailed) as exc:
        channel = exc.detail.get("channel") if isinstance(exc, ValidationFailed) else None
        return _render(request, viewer, session, pages, key, error="contact", status=400, contact_form=entered,
                       contact_error=channel or "")
    return RedirectResponse(f"/config/services/{key}#contact", status_code=303)


@router.post("/config/services/{key}/rules", name="config_rules")
def save_rules(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
               quiet_start: Annotated[str, Form()] = "", quiet_end: Annotated[str, Form()] = "",
               per_day: Annotated[str, Form()] = "", per_week: Annotated[str, Form()] = "",
               csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    service = catalog.get_service(session, viewer.org_id, key)
    start, end = _clock(quiet_start), _clock(quiet_end)
    data: dict[str, Any] = {}
    if start and end:
        data["quiet_hours"] = {"start": start, "end": end}
    caps = {p: int(v) for p, v in (("day", per_day), ("week", per_week)) if v.strip().isdigit()}
    if caps:
        data["caps"] = {"*": caps}
    if (quiet_start or quiet_end) and not (start and end):
        return _render(request, viewer, session, pages, key, error="rules", status=400)
    policy.set_rules(session, viewer.org_id, f"service:{service.id}", RuleSet.model_validate(data), utcnow(),
                     actor=viewer.actor)
    return RedirectResponse(f"/config/services/{key}#rules", status_code=303)
