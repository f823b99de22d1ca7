"""Listening on the pages: the feedback inbox (newest first, filtered by service, moment, sentiment, source and
need; each comment links to its customer and process) and the needs (list, one need's comments, trend, moments and
customers; renaming, merging, marking addressed and reopening). Analysts read; managers change the needs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.dashboard import listening as view
from momentos.errors import BadRequest, Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.listening.feedback import service as feedback
from momentos.listening.needs import service as needs
from momentos.listening.needs.schemas import NeedRead, NeedUpdate
from momentos.web.access import Configurer, Reader
from momentos.web.line_charts import sparkline
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
PER_PAGE = 25
CUSTOMERS_SHOWN = 50
NAME_MAX = 200
FILTERS = ("service", "moment", "sentiment", "source", "need")
FILTER_ERRORS: dict[str, str] = {
    "service": N_("There is no such service: choose one from the list."),
    "moment": N_("This moment is not one of the chosen service's moments (or of any service): choose one from the "
                 "list."),
    "sentiment": N_("Choose positive, neutral or negative."),
    "need": N_("There is no such need: choose one from the list."),
}
MERGE_NOTHING = N_("Tick at least one need to merge, other than the one to keep.")
MERGE_TARGET = N_("Choose the need to keep.")
MERGE_SELF = N_("The need to keep cannot be one of those merged into it.")
NAME_TOO_LONG = N_("The name can have at most 200 characters.")


def _check(request: Request, csrf: str) -> None:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")


def _id(value: str | None) -> int | None:
    """An id from a query or a form, or None (not a number, or beyond what a column holds)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _spark(need: NeedRead, lang_title: str) -> Any:
    return sparkline(need.trend, lang_title, " · ".join(str(v) for v in need.trend))


# ------------------------------------------------------------------------------------------------- feedback inbox


def _filter(session: Session, org_id: int, asked: dict[str, str]) -> tuple[feedback.FeedbackFilter, dict[str, str]]:
    need = _id(asked["need"])
    if asked["need"] and need is None:
        return feedback.FeedbackFilter(), {"need": FILTER_ERRORS["need"]}
    try:
        return feedback.make_filter(session, org_id, service=asked["service"] or None, moment=asked["moment"] or None,
                                    sentiment=asked["sentiment"] or None, source=asked["source"] or None,
                                    need_id=need), {}
    except ValidationFailed as exc:
        field = exc.detail.get("field", "service") if isinstance(exc.detail, dict) else "service"
        return feedback.FeedbackFilter(), {field: FILTER_ERRORS.get(field, FILTER_ERRORS["service"])}


@router.get("/listening/feedback", name="feedback_inbox")
def inbox_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep, service: str = "",
               moment: str = "", sentiment: str = "", source: str = "", need: str = "",
               before: str = "") -> Response:
    asked = {k: v.strip()[:64] for k, v in zip(FILTERS, (service, moment, sentiment, source, need), strict=True)}
    names = view.Names(session, viewer.org_id, pages.language(request))
    listed = view.listed_needs(session, viewer.org_id, utcnow())
    where, errors = _filter(session, viewer.org_id, asked)
    items = [] if errors else view.inbox(session, viewer.org_id, where, names, {n.id: n for n in listed},
                                         limit=PER_PAGE + 1, before_id=_id(before))
    query = {k: v for k, v in asked.items() if v}
    older = (f"/listening/feedback?{urlencode({**query, 'before': items[PER_PAGE - 1].feedback.id})}"
             if len(items) > PER_PAGE else None)
    newest = f"/listening/feedback?{urlencode(query)}" if before else None
    return pages.render(request, "feedback_inbox.html", {
        "items": items[:PER_PAGE], "filters": asked, "errors": errors, "filtered": bool(query), "names": names,
        "sources": feedback.sources(session, viewer.org_id), "needs": listed, "title_of": view.need_title,
        "older": older, "newest": newest}, viewer=viewer, status=400 if errors else 200)


# ---------------------------------------------------------------------------------------------------------- needs


def _needs_page(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, error: str | None = None,
                form: dict[str, Any] | None = None, status: int = 200) -> Response:
    lang = pages.language(request)
    listed = view.listed_needs(session, viewer.org_id, utcnow())
    return pages.render(request, "needs.html", {
        "open": [n for n in listed if not n.addressed], "addressed": [n for n in listed if n.addressed],
        "all": listed, "names": view.Names(session, viewer.org_id, lang), "title_of": view.need_title,
        "spark": _spark, "error": error, "form": form or {}}, viewer=viewer, status=status)


@router.get("/listening/needs", name="needs")
def needs_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _needs_page(request, viewer, session, pages)


@router.post("/listening/needs/merge", name="needs_merge")
def merge_needs(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                csrf: Annotated[str, Form()] = "", merged: Annotated[list[str] | None, Form()] = None,
                into: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    ids = [i for i in (_id(v) for v in merged or []) if i is not None]
    target = _id(into)
    form = {"merged": ids, "into": target}
    error = MERGE_TARGET if target is None else MERGE_NOTHING if not ids or set(ids) == {target} else None
    if error is None and target in ids:
        error = MERGE_SELF
    if error is None:
        try:
            assert target is not None
            kept = needs.merge_all(session, viewer.org_id, ids, target, utcnow(), actor=viewer.actor)
        except NotFound:
            error = FILTER_ERRORS["need"]
        except Conflict:
            error = MERGE_SELF
        except ValidationFailed:
            error = MERGE_NOTHING
        else:
            return RedirectResponse(f"/listening/needs/{kept.id}", status_code=303)
    return _needs_page(request, viewer, session, pages, error=error, form=form, status=400)


def _need_page(request: Request, viewer: Viewer, session: Session, pages: PagesDep, need_id: int, *,
               before: str = "", error: str | None = None, typed: str | None = None, status: int = 200) -> Response:
    now: datetime = utcnow()
    need = needs.read_need(session, viewer.org_id, need_id, now)
    names = view.Names(session, viewer.org_id, pages.language(request))
    items = view.inbox(session, viewer.org_id, feedback.FeedbackFilter(need_id=need.id), names, {need.id: need},
                       limit=PER_PAGE + 1, before_id=_id(before))
    older = f"/listening/needs/{need.id}?before={items[PER_PAGE - 1].feedback.id}" if len(items) > PER_PAGE else None
    return pages.render(request, "need.html", {
        "need": need, "title": view.need_title(need), "title_of": view.need_title, "items": items[:PER_PAGE],
        "names": names, "spark": _spark,
        "customers": needs.need_customers(session, viewer.org_id, need.id, CUSTOMERS_SHOWN),
        "older": older, "newest": f"/listening/needs/{need.id}" if before else None,
        "error": error, "typed": need.name or "" if typed is None else typed}, viewer=viewer, status=status)


@router.get("/listening/needs/{need_id}", name="need")
def need_page(need_id: int, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
              before: str = "") -> Response:
    live = needs.read_need(session, viewer.org_id, _checked(need_id), utcnow())
    if live.id != need_id:  # merged into another: its comments are there now
        return RedirectResponse(f"/listening/needs/{live.id}", status_code=303)
    return _need_page(request, viewer, session, pages, need_id, before=before)


def _checked(need_id: int) -> int:
    if not 0 < need_id < 2**63:
        raise NotFound("Need not found.", code="need_not_found", detail={"need_id": need_id})
    return need_id


@router.post("/listening/needs/{need_id}/name", name="need_rename")
def rename_need(need_id: int, request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    if len(name.strip()) > NAME_MAX:
        return _need_page(request, viewer, session, pages, _checked(need_id), error=NAME_TOO_LONG,
                          typed=name[:1000], status=400)
    needs.update_need(session, viewer.org_id, _checked(need_id), NeedUpdate(name=name.strip() or None), utcnow(),
                      actor=viewer.actor)
    return RedirectResponse(f"/listening/needs/{need_id}", status_code=303)


@router.post("/listening/needs/{need_id}/addressed", name="need_addressed")
def mark_addressed(need_id: int, request: Request, viewer: Configurer, session: DbSession,
                   csrf: Annotated[str, Form()] = "", addressed: Annotated[str, Form()] = "1",
                   back: Annotated[str, Form()] = "") -> Response:
    """``addressed``: 1 marks the need addressed, 0 reopens it; ``back``: ``list`` returns to the needs."""
    _check(request, csrf)
    needs.update_need(session, viewer.org_id, _checked(need_id), NeedUpdate(addressed=addressed != "0"), utcnow(),
                      actor=viewer.actor)
    target = "/listening/needs#needs-addressed" if back == "list" and addressed != "0" else (
        "/listening/needs#needs-open" if back == "list" else f"/listening/needs/{need_id}")
    return RedirectResponse(target, status_code=303)
