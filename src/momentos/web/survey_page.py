"""The survey page ``/f/<token>``: no login, the invitation's unguessable token; phone-sized; Spanish or English
(``?lang=``, then the language cookie, then the customer's language). Unknown tokens are 404; an expired survey
says so; answering again corrects the earlier answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.errors import NotFound
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SCALES, AnswerIn
from momentos.models import Customer, Feedback, Organization, Survey, SurveyInvitation
from momentos.web.errors import mark_page
from momentos.web.rendering import LANG_COOKIE, LANG_COOKIE_AGE, SECURITY_HEADERS, get_pages, lang_url

router = APIRouter(dependencies=[Depends(mark_page)], include_in_schema=False)
FORM_MAX_FIELDS = 40


def _invitation(session: Session, token: str) -> SurveyInvitation:
    invitation = surveys.invitation_by_token(session, token)
    if invitation is None:
        raise NotFound("Not found.", code="survey_not_found")
    return invitation


def _language(request: Request, session: Session, invitation: SurveyInvitation) -> str:
    customer = session.get_one(Customer, invitation.customer_id)
    org = session.get_one(Organization, invitation.org_id)
    return i18n.negotiate(query=request.query_params.get("lang"), cookie=request.cookies.get(LANG_COOKIE),
                          accept_language=None, default=customer.language or org.default_language)


def _questions(survey: Survey, lang: str, previous: Feedback | None) -> list[dict[str, Any]]:
    out = []
    for q in survey.questions:
        kind = q["kind"]
        label = q["label"].get(lang) or q["label"].get("es") or q["key"]
        low, high = SCALES.get(kind, (0, 0))
        value: Any = None
        if previous is not None:
            value = (previous.perception.get(q["key"]) if kind == "perception" else
                     previous.text if kind == "text" else getattr(previous, kind))
        out.append({"key": q["key"], "kind": kind, "label": label, "scale": list(range(low, high + 1)),
                    "value": value})
    return out


def _render(request: Request, session: Session, invitation: SurveyInvitation, lang: str, *, errors: bool = False,
            status: int = 200) -> HTMLResponse:
    pages = get_pages(request)
    survey = session.get_one(Survey, invitation.survey_id)
    org = session.get_one(Organization, invitation.org_id)
    previous = session.scalar(select(Feedback).where(Feedback.invitation_id == invitation.id))
    html = pages.env.get_template("survey/survey.html").render({
        "lang": lang, "viewer": None, "path": request.url.path, "timezone": "UTC",
        "lang_urls": {x: lang_url(request, x) for x in i18n.LANGUAGES}, "static_version": pages.static_version,
        "org_name": org.name, "title": survey.title_es if lang == "es" else survey.title_en,
        "questions": _questions(survey, lang, previous), "expired": invitation.expires_at <= utcnow(),
        "thanks": request.query_params.get("sent") == "1", "errors": errors})
    response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, "Referrer-Policy": "no-referrer",
                                                               "X-Robots-Tag": "noindex"})
    if i18n.supported(request.query_params.get("lang")):
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax",
                            secure=pages.secure_cookies)
    return response


@router.get("/f/{token}")
def survey_page(token: str, request: Request, session: DbSession) -> Response:
    invitation = _invitation(session, token)
    return _render(request, session, invitation, _language(request, session, invitation))


def _answer(survey: Survey, form: dict[str, str]) -> AnswerIn:
    data: dict[str, Any] = {"perception": {}}
    for q in survey.questions:
        raw = form.get(f"q_{q['key']}", "").strip()
        if not raw:
            continue
        if q["kind"] == "text":
            data["text"] = raw
        elif q["kind"] == "perception":
            data["perception"][q["key"]] = raw
        else:
            data[q["kind"]] = raw
    return AnswerIn.model_validate(data)


@router.post("/f/{token}")
async def submit(token: str, request: Request, session: DbSession) -> Response:
    invitation = _invitation(session, token)
    lang = _language(request, session, invitation)
    form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS)
    survey = session.get_one(Survey, invitation.survey_id)
    try:
        data = _answer(survey, {k: v for k, v in form.items() if isinstance(v, str)})
    except ValidationError:
        return _render(request, session, invitation, lang, errors=True, status=422)
    if invitation.expires_at <= utcnow():
        return _render(request, session, invitation, lang, status=410)
    surveys.answer(session, invitation, data, utcnow())
    return RedirectResponse(f"/f/{token}?sent=1", status_code=303)
