"""One survey's configuration page: its questions, and its perception items (statements the customer rates from 1,
strongly disagree, to 5, strongly agree, about how the service was perceived: reliability, involvement, image…)
added, relabelled and removed through ``surveys.update_survey`` (the service of ``PATCH /api/v1/surveys/{key}``),
audited with the viewer. Managers change; analysts read (no forms); agents get 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.errors import BadRequest, MomentosError
from momentos.kit.i18n import N_
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyUpdate
from momentos.web.access import Configurer, Reader
from momentos.web.form_errors import GENERAL, FieldError, field_errors
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
ADD = "_add"
"""The form that failed, when it is the one that adds an item (else the item's key)."""
Questions = list[dict[str, Any]]
LAST_QUESTION = N_("A survey needs at least one question: add another one before removing this one.")


def _fields(index: int) -> dict[str, str]:
    """Where pydantic's errors about question ``index`` go in the item form."""
    at = f"questions.{index}"
    return {f"{at}.key": "key", f"{at}.label.es": "label_es", f"{at}.label.en": "label_en", f"{at}.label": "label_es",
            "key": "key"}


def _survey_page(request: Request, viewer: Viewer, session: Session, pages: PagesDep, survey_key: str, *,
                 failed: str | None = None, form: dict[str, str] | None = None,
                 errors: dict[str, FieldError] | None = None, status: int = 200) -> Response:
    survey = surveys.get_survey(session, viewer.org_id, survey_key[:64])
    service = model = None
    if survey.service_id is not None:
        service = next((s for s in catalog.list_services(session, viewer.org_id) if s.id == survey.service_id), None)
        model = catalog.get_journey_model(session, viewer.org_id, service.journey_model_key) if service else None
    return pages.render(request, "config_survey.html", {
        "survey": survey, "service": service, "model": model, "items": surveys.perception_items(survey),
        "failed": failed, "form": form or {}, "errors": errors or {}}, viewer=viewer, status=status)


@router.get("/config/surveys/{survey_key}", name="config_survey")
def survey_page(survey_key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _survey_page(request, viewer, session, pages, survey_key)


def _change(request: Request, viewer: Viewer, session: Session, pages: PagesDep, survey_key: str, csrf: str,
            failed: str, form: dict[str, str], change: Callable[[Questions], tuple[Questions, int]]) -> Response:
    """Apply ``change`` (the questions → the new questions and the index of the item changed) through the survey
    service; a refused change shows the page again with the message beside the field and the input kept."""
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    survey = surveys.get_survey(session, viewer.org_id, survey_key[:64])
    questions, index = change(list(survey.questions))
    try:
        data = SurveyUpdate.model_validate({"questions": questions})
        surveys.update_survey(session, viewer.org_id, survey.key, data, actor=viewer.actor)
    except (ValidationError, MomentosError) as exc:
        return _survey_page(request, viewer, session, pages, survey.key, failed=failed, form=form,
                            errors=field_errors(exc, _fields(index)), status=400)
    return RedirectResponse(f"/config/surveys/{quote(survey.key, safe='')}#items", status_code=303)


def _typed(key: str, label_es: str, label_en: str) -> dict[str, str]:
    return {"key": key.strip()[:64], "label_es": label_es.strip()[:300], "label_en": label_en.strip()[:300]}


@router.post("/config/surveys/{survey_key}/items", name="config_survey_item_add")
def add_item(survey_key: str, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
             key: Annotated[str, Form()] = "", label_es: Annotated[str, Form()] = "",
             label_en: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    form = _typed(key, label_es, label_en)
    label = {"es": form["label_es"], "en": form["label_en"]}

    def change(questions: Questions) -> tuple[Questions, int]:
        return surveys.with_item(questions, form["key"], label)

    return _change(request, viewer, session, pages, survey_key, csrf, ADD, form, change)


@router.post("/config/surveys/{survey_key}/items/{item_key}", name="config_survey_item_edit")
def edit_item(survey_key: str, item_key: str, request: Request, viewer: Configurer, session: DbSession,
              pages: PagesDep, label_es: Annotated[str, Form()] = "", label_en: Annotated[str, Form()] = "",
              csrf: Annotated[str, Form()] = "") -> Response:
    form = _typed(item_key, label_es, label_en)

    def change(questions: Questions) -> tuple[Questions, int]:
        new = surveys.relabelled(questions, item_key, {"es": form["label_es"], "en": form["label_en"]})
        return new, next(i for i, q in enumerate(new) if q["key"] == item_key)

    return _change(request, viewer, session, pages, survey_key, csrf, item_key, form, change)


@router.post("/config/surveys/{survey_key}/items/{item_key}/delete", name="config_survey_item_delete")
def delete_item(survey_key: str, item_key: str, request: Request, viewer: Configurer, session: DbSession,
                pages: PagesDep, csrf: Annotated[str, Form()] = "") -> Response:
    def change(questions: Questions) -> tuple[Questions, int]:
        return surveys.without_item(questions, item_key), 0

    if len(surveys.get_survey(session, viewer.org_id, survey_key[:64]).questions) == 1:
        if not csrf_ok(request, csrf):
            raise BadRequest("The form expired.", code="csrf_failed")
        return _survey_page(request, viewer, session, pages, survey_key, failed=item_key[:64], status=400,
                            errors={GENERAL: FieldError(LAST_QUESTION)})
    return _change(request, viewer, session, pages, survey_key, csrf, item_key, {"key": item_key[:64]}, change)
