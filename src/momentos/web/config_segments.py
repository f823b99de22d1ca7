"""Configuration of customer segments: the list with each segment's rule, member count and first members, a form
to define one from a few conditions, and removal. Managers change; analysts read (no forms); agents get 403."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.errors import BadRequest, MomentosError
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.segments import service as segments
from momentos.segments.schemas import COLUMNS, OPS, SegmentCreate
from momentos.web.access import Configurer, Reader
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
ROWS = 3
"""Condition rows of the form (the API takes up to 20)."""
PREVIEW = 5
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("traits", N_("Customer trait")), ("account_traits", N_("Account trait")), ("language", N_("Language")),
    ("timezone", N_("Time zone")), ("account_id", N_("Account")))
OP_NAMES: dict[str, str] = {
    "eq": N_("is"), "ne": N_("is not"), "in": N_("is one of"), "exists": N_("is set"), "gt": N_("is more than"),
    "lt": N_("is less than")}


def _check(request: Request, csrf: str) -> None:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")


def _render(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, error: bool = False,
            form: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = [(s, segments.count_members(session, viewer.org_id, s),
             segments.preview(session, viewer.org_id, s, PREVIEW))
            for s in segments.list_segments(session, viewer.org_id)]
    return pages.render(request, "config_segments.html", {
        "segments": rows, "attributes": ATTRIBUTES, "ops": [(op, OP_NAMES[op]) for op in OPS],
        "op_names": OP_NAMES, "rows": ROWS, "error": error, "form": form or {}}, viewer=viewer, status=status)


@router.get("/config/segments", name="config_segments")
def segments_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _render(request, viewer, session, pages)


def _value(text: str, op: str, trait: bool) -> Any:
    """A form value as the rule's value: a list for ``in`` (comma-separated), nothing for ``exists``; on traits,
    numbers and true/false are read as such, and text in double quotes stays text."""
    if op == "exists":
        return None
    if op == "in":
        return [_scalar(part.strip(), trait) for part in text.split(",") if part.strip()]
    return _scalar(text.strip(), trait)


def _scalar(text: str, trait: bool) -> Any:
    if not trait:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, bool | int | float | str) else text


def rule_of(form: dict[str, str]) -> list[dict[str, Any]]:
    """The filled condition rows of the form as a rule (validated by ``SegmentCreate``)."""
    rule = []
    for i in range(ROWS):
        attribute, name, op = form.get(f"attribute_{i}", ""), form.get(f"name_{i}", "").strip(), form.get(f"op_{i}", "")
        if not attribute or (attribute not in COLUMNS and not name):
            continue
        field = attribute if attribute in COLUMNS else f"{attribute}.{name}"
        rule.append({"field": field, "op": op,
                     "value": _value(form.get(f"value_{i}", ""), op, attribute not in COLUMNS)})
    return rule


async def _form(request: Request) -> dict[str, str]:
    """The posted fields (text only, each cut to 500 characters): the form has a variable set of condition rows."""
    raw = await request.form()
    return {k: v[:500] for k, v in raw.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form)]


@router.post("/config/segments", name="config_segment_define")
def define_segment(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                   form: FormFields) -> Response:
    _check(request, form.get("csrf", ""))
    try:
        data = SegmentCreate.model_validate({"key": form.get("key", "").strip(), "name_es": form.get("name_es", ""),
                                             "name_en": form.get("name_en", ""), "rule": rule_of(form)})
        segments.create_segment(session, viewer.org_id, data, utcnow(), actor=viewer.actor)
    except (ValidationError, MomentosError):
        return _render(request, viewer, session, pages, error=True, form=form, status=400)
    return RedirectResponse("/config/segments#segments", status_code=303)


@router.post("/config/segments/{key}/delete", name="config_segment_delete")
def delete_segment(key: str, request: Request, viewer: Configurer, session: DbSession,
                   csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    segments.delete_segment(session, viewer.org_id, key[:64], actor=viewer.actor)
    return RedirectResponse("/config/segments#segments", status_code=303)
