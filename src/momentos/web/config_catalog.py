"""The catalog forms of a service's configuration page, for managers: add, edit and remove touchpoints (activities
picked from those seen in the service's events), set or clear the contact level by hand with a reason, and choose
the journey model. Each calls the same service function as the API, with the signed-in person as the actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.catalog.schemas import ServiceUpdate
from momentos.errors import Conflict, MomentosError, NotFound, ValidationFailed
from momentos.web.access import Configurer
from momentos.web.catalog_forms import Problem, read_touchpoint, touchpoint_problem
from momentos.web.config_pages import _check, _render
from momentos.web.rendering import PagesDep

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Text = Annotated[str, Form()]
MAX_REASON = 2000


def _touchpoint_form(moment: str, channel: str, activities: list[str], new_activity: str, initiator: str,
                     intensity: str, name_es: str, name_en: str) -> dict[str, object]:
    return {"moment": moment[:64], "channel": channel[:32], "activities": [a[:200] for a in activities[:500]],
            "new_activity": new_activity[:200], "initiator": initiator[:16], "intensity": intensity[:16],
            "name_es": name_es[:300], "name_en": name_en[:300]}


@router.post("/config/services/{key}/touchpoints", name="config_touchpoint")
def add_touchpoint(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                   moment: Text = "", channel: Text = "", activities: Annotated[list[str], Form()] = [],  # noqa: B006
                   new_activity: Text = "", initiator: Text = "", intensity: Text = "", name_es: Text = "",
                   name_en: Text = "", csrf: Text = "") -> Response:
    _check(request, csrf)
    return _save_touchpoint(key, None, request, viewer, session, pages, _touchpoint_form(
        moment, channel, activities, new_activity, initiator, intensity, name_es, name_en))


@router.post("/config/services/{key}/touchpoints/{touchpoint_id}", name="config_touchpoint_edit")
def edit_touchpoint(key: str, touchpoint_id: Id, request: Request, viewer: Configurer, session: DbSession,
                    pages: PagesDep, moment: Text = "", channel: Text = "",
                    activities: Annotated[list[str], Form()] = [],  # noqa: B006
                    new_activity: Text = "", initiator: Text = "", intensity: Text = "", name_es: Text = "",
                    name_en: Text = "", csrf: Text = "") -> Response:
    _check(request, csrf)
    return _save_touchpoint(key, touchpoint_id, request, viewer, session, pages, _touchpoint_form(
        moment, channel, activities, new_activity, initiator, intensity, name_es, name_en))


def _save_touchpoint(key: str, touchpoint_id: int | None, request: Request, viewer: Configurer, session: DbSession,
                     pages: PagesDep, form: dict[str, object]) -> Response:
    data, errors = read_touchpoint(form)
    if data is not None:
        try:
            if touchpoint_id is None:
                catalog.create_touchpoint(session, viewer.org_id, key, data, actor=viewer.actor)
            else:
                catalog.update_touchpoint(session, viewer.org_id, key, touchpoint_id, data, actor=viewer.actor)
        except MomentosError as exc:
            errors = touchpoint_problem(exc)
    if errors:
        return _render(request, viewer, session, pages, key, status=400, editing=touchpoint_id, tp_form=form,
                       tp_errors=errors)
    return RedirectResponse(f"/config/services/{key}#touchpoints", status_code=303)


@router.post("/config/services/{key}/touchpoints/{touchpoint_id}/delete", name="config_touchpoint_delete")
def delete_touchpoint(key: str, touchpoint_id: Id, request: Request, viewer: Configurer, session: DbSession,
                      pages: PagesDep, csrf: Text = "") -> Response:
    _check(request, csrf)
    try:
        catalog.delete_touchpoint(session, viewer.org_id, key, touchpoint_id, actor=viewer.actor)
    except Conflict as exc:
        problem = Problem("touchpoint_has_survey", {"survey": str((exc.detail or {}).get("survey", ""))})
        return _render(request, viewer, session, pages, key, status=409, tp_delete_error=problem)
    return RedirectResponse(f"/config/services/{key}#touchpoints", status_code=303)


@router.post("/config/services/{key}/override", name="config_override")
def save_override(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                  level: Text = "", reason: Text = "", action: Text = "set", csrf: Text = "") -> Response:
    _check(request, csrf)
    form = {"level": level[:16], "reason": reason[:MAX_REASON + 1]}
    errors: dict[str, Problem] = {}
    if action == "clear":
        data = ServiceUpdate(clear_override=True)
    else:
        if level not in ("high", "medium", "low"):
            errors["level"] = Problem("override_level")
        if not reason.strip() or len(reason) > MAX_REASON:
            errors["reason"] = Problem("override_reason")
        if errors:
            return _render(request, viewer, session, pages, key, status=400, override_form=form,
                           override_errors=errors)
        data = ServiceUpdate.model_validate({"level_override": level, "override_reason": reason.strip()})
    catalog.update_service(session, viewer.org_id, key, data, actor=viewer.actor)
    return RedirectResponse(f"/config/services/{key}#level", status_code=303)


@router.post("/config/services/{key}/journey-model", name="config_journey_model")
def save_journey_model(key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                       model: Text = "", csrf: Text = "") -> Response:
    _check(request, csrf)
    catalog.get_service(session, viewer.org_id, key)  # an unknown service is a 404, not a form error
    try:
        data = ServiceUpdate.model_validate({"journey_model": model})
        catalog.update_service(session, viewer.org_id, key, data, actor=viewer.actor)
    except (ValidationError, NotFound):
        return _render(request, viewer, session, pages, key, status=400, model_error=Problem("unknown_model"))
    except ValidationFailed as exc:
        current = catalog.get_journey_model(session, viewer.org_id, catalog.get_service(
            session, viewer.org_id, key).journey_model_key)
        lang = pages.language(request)
        moments = ", ".join(current.moment(k).name(lang) if current.has(k) else k
                            for k in (exc.detail or {}).get("moments", []))
        return _render(request, viewer, session, pages, key, status=400, model_choice=model[:64],
                       model_error=Problem("touchpoints_outside_model", {"moments": moments}))
    return RedirectResponse(f"/config/services/{key}#journey-model", status_code=303)
