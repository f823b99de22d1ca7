"""Configuration of what customers are asked and told: surveys (list, define one at a moment of a service) and
message templates (the organization's text per purpose and language, with an es/en preview rendered by
``notify.render``). Managers change; analysts read (no forms); agents get 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession, reads
from momentos.catalog import service as catalog
from momentos.errors import BadRequest, MomentosError, NotFound
from momentos.kit.clock import utcnow
from momentos.kit.i18n import LANGUAGES
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate
from momentos.notify import render, template_overrides
from momentos.notify.template_sandbox import TemplateBudget
from momentos.web.access import Configurer, Reader
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
QUESTION_KINDS = ("csat", "nps", "ces", "text")
QUESTION_LABELS: dict[str, dict[str, str]] = {
    "csat": {"es": "¿Cómo de satisfecho quedaste?", "en": "How satisfied were you?"},
    "nps": {"es": "¿Nos recomendarías a un amigo?", "en": "Would you recommend us to a friend?"},
    "ces": {"es": "¿Fue fácil?", "en": "Was it easy?"},
    "text": {"es": "¿Algo más que quieras contarnos?", "en": "Anything else you want to tell us?"},
}
"""The question texts of a survey defined from the page (the API takes any texts)."""


def _check(request: Request, csrf: str) -> None:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")


def _surveys(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, error: bool = False,
             form: dict[str, str] | None = None, status: int = 200) -> Response:
    services = catalog.list_services(session, viewer.org_id)
    models = {s.key: catalog.get_journey_model(session, viewer.org_id, s.journey_model_key) for s in services}
    by_id = {s.id: s for s in services}
    return pages.render(request, "config_surveys.html", {
        "surveys": [(s, by_id.get(s.service_id or 0)) for s in surveys.list_surveys(session, viewer.org_id)],
        "services": services, "models": models, "kinds": QUESTION_KINDS, "error": error, "form": form or {}},
        viewer=viewer, status=status)


@router.get("/config/surveys", name="config_surveys")
def surveys_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _surveys(request, viewer, session, pages)


@router.post("/config/surveys", name="config_survey_define")
def define_survey(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                  key: Annotated[str, Form()] = "", title_es: Annotated[str, Form()] = "",
                  title_en: Annotated[str, Form()] = "", at: Annotated[str, Form()] = "",
                  questions: Annotated[list[str] | None, Form()] = None, valid_hours: Annotated[str, Form()] = "72",
                  csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    service, _, moment = at.partition(":")
    form = {"key": key[:64], "title_es": title_es[:200], "title_en": title_en[:200], "at": at[:130]}
    chosen = [k for k in QUESTION_KINDS if k in (questions or [])]
    try:
        data = SurveyCreate.model_validate({
            "key": key.strip(), "title_es": title_es, "title_en": title_en, "service": service or None,
            "moment": moment or None, "valid_hours": valid_hours.strip() or 72,
            "questions": [{"key": k, "kind": k, "label": QUESTION_LABELS[k]} for k in chosen]})
        surveys.create_survey(session, viewer.org_id, data, utcnow(), actor=viewer.actor)
    except (ValidationError, MomentosError):
        return _surveys(request, viewer, session, pages, error=True, form=form, status=400)
    return RedirectResponse("/config/surveys#surveys", status_code=303)


def _templates(request: Request, viewer: Viewer, session: Session, pages: PagesDep, purpose: str, *,
               draft: dict[str, str] | None = None, draft_preview: render.Rendered | None = None,
               error: MomentosError | None = None, status: int = 200) -> Response:
    if purpose not in render.PURPOSE_TEMPLATES:
        raise NotFound("Template not found.", code="template_not_found", detail={"purpose": purpose[:64]})
    params = template_overrides.preview_params(session, viewer.org_id, None, None, utcnow(),
                                               request.app.state.settings.public_url)
    budget = TemplateBudget.of(request.app.state.settings.notify)
    previews = {lang: render.render_notification(session, viewer.org_id, purpose, None, None, lang, params,
                                                 budget=budget) for lang in LANGUAGES}
    overrides = [r for r in template_overrides.list_overrides(session, viewer.org_id) if r.purpose == purpose]
    return pages.render(request, "config_templates.html", {
        "purposes": render.PURPOSE_TEMPLATES, "purpose": purpose, "previews": previews, "overrides": overrides,
        "variables": render.VARIABLES, "languages": LANGUAGES, "draft": draft or {}, "draft_preview": draft_preview,
        "error": error.code if error else None,
        "error_budget": error.detail.get("budget") if error and isinstance(error.detail, dict) else None},
        viewer=viewer, status=status)


@router.get("/config/templates", name="config_templates")
def templates_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                   purpose: str = "status") -> Response:
    return _templates(request, viewer, session, pages, purpose[:64])


def _draft(request: Request, csrf: str, purpose: str, language: str, subject: str,
           body: str) -> tuple[str, str, dict[str, str]]:
    """The checked form of a template: (purpose, language, the draft as typed, cut to the fields' limits)."""
    _check(request, csrf)
    purpose = purpose[:64]
    if purpose not in render.PURPOSE_TEMPLATES:
        raise NotFound("Template not found.", code="template_not_found", detail={"purpose": purpose})
    lang = language if language in LANGUAGES else LANGUAGES[0]
    return purpose, lang, {"language": lang, "subject": subject[:500], "body": body[:20_000]}


def _show_draft(request: Request, viewer: Viewer, session: Session, pages: PagesDep, purpose: str, lang: str,
                draft: dict[str, str]) -> Response:
    budget = TemplateBudget.of(request.app.state.settings.notify)
    try:
        shown = render.validate_override(purpose, draft["subject"], draft["body"], None, lang, budget=budget,
                                         org_id=viewer.org_id)
    except MomentosError as exc:
        return _templates(request, viewer, session, pages, purpose, draft=draft, error=exc, status=400)
    return _templates(request, viewer, session, pages, purpose, draft=draft, draft_preview=shown)


@router.post("/config/templates/preview", name="config_template_preview")
@reads
def preview_template(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                     purpose: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "es",
                     subject: Annotated[str, Form()] = "", body: Annotated[str, Form()] = "",
                     csrf: Annotated[str, Form()] = "") -> Response:
    """The draft rendered with the sample parameters under the template budget; nothing is stored, so the request
    only reads (no write lock while the draft renders)."""
    purpose, lang, draft = _draft(request, csrf, purpose, language, subject, body)
    return _show_draft(request, viewer, session, pages, purpose, lang, draft)


@router.post("/config/templates", name="config_template_save")
def save_template(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                  purpose: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "es",
                  subject: Annotated[str, Form()] = "", body: Annotated[str, Form()] = "",
                  action: Annotated[str, Form()] = "save", csrf: Annotated[str, Form()] = "") -> Response:
    """Store the draft once it renders within the template budget (the worker's); the form's preview button posts
    to :func:`preview_template` (``action=preview`` here still previews)."""
    purpose, lang, draft = _draft(request, csrf, purpose, language, subject, body)
    if action == "preview":
        return _show_draft(request, viewer, session, pages, purpose, lang, draft)
    try:
        template_overrides.put_override(session, viewer.org_id, purpose, render.ANY, render.ANY, lang,
                                        subject=draft["subject"], body=draft["body"], html=None, now=utcnow(),
                                        budget=TemplateBudget.of(request.app.state.settings.notify),
                                        actor=viewer.actor)
    except MomentosError as exc:
        return _templates(request, viewer, session, pages, purpose, draft=draft, error=exc, status=400)
    return RedirectResponse(f"/config/templates?purpose={purpose}#preview", status_code=303)
