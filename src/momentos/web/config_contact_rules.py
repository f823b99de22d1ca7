"""The organization-wide contact rules (the ``org`` layer of ``policy.rules``), read as sentences (naming channels
and purposes by their labels) and changed from the page: quiet hours, frequency caps (add, change, delete),
disabled channels and the consent assumed per purpose.

Every change goes through ``policy.service.set_rules`` (as ``PUT /api/v1/contact-rules/organization``), audited with
the viewer as actor. Managers change; analysts read (no forms); agents get 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.dashboard import preview as preview_mod
from momentos.errors import BadRequest
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.policy import service as policy
from momentos.policy.engine import CHANNELS, DEFAULT_CONSENT, DEFAULT_ORDER, PURPOSES
from momentos.policy.schemas import RuleSet
from momentos.web.access import Configurer, Reader
from momentos.web.form_errors import GENERAL, MESSAGES, FieldError, field_errors
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
PAGE = "/config/contact-rules"
SCOPE = "org"
PARTS = ("quiet", "cap", "cap_delete", "channels", "order")


@dataclass(frozen=True)
class Cap:
    """One frequency cap: which messages it counts (channel and/or purpose, None = any) and its limits."""

    key: str
    channel: str | None
    purpose: str | None
    day: int | None
    week: int | None


def cap_key(channel: str | None, purpose: str | None) -> str:
    if channel and purpose:
        return f"{channel}/{purpose}"
    if channel:
        return f"channel:{channel}"
    return f"purpose:{purpose}" if purpose else "*"


def caps_of(stored: Mapping[str, Any]) -> list[Cap]:
    out = []
    for key, limits in sorted((stored.get("caps") or {}).items()):
        kind, sep, name = key.partition(":")
        if key == "*":
            channel, purpose = None, None
        elif sep:
            channel, purpose = (name, None) if kind == "channel" else (None, name)
        else:
            channel, _, purpose = key.partition("/")
        out.append(Cap(key, channel, purpose, limits.get("day"), limits.get("week")))
    return out


def _render(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, part: str = "",
            form: Mapping[str, str] | None = None, errors: Mapping[str, FieldError] | None = None,
            status: int = 200) -> Response:
    stored = preview_mod.stored_rules(session, viewer.org_id, SCOPE)
    consent = stored.get("default_consent") or {}
    return pages.render(request, "config_contact_rules.html", {
        "rules": stored, "caps": caps_of(stored), "channels": CHANNELS, "purposes": PURPOSES,
        "order": stored.get("channel_order") or list(DEFAULT_ORDER),
        "disabled": set(stored.get("disabled_channels") or ()), "default_consent": DEFAULT_CONSENT,
        "consent": consent, "part": part, "form": form or {}, "errors": errors or {},
        "general_error": (errors or {}).get(GENERAL)}, viewer=viewer, status=status)


@router.get(PAGE, name="config_contact_rules")
def contact_rules_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _render(request, viewer, session, pages)


NO_LIMIT = FieldError(N_("Give a limit per day, per week or both."))
ORDER_TWICE = FieldError(N_("Choose each channel at most once."))
ERROR_FIELDS = {"quiet_hours.start": "quiet_start", "quiet_hours.end": "quiet_end", "quiet_hours": "quiet_start",
                "disabled_channels": "disabled", "default_consent": "consent", "channel_order": "order"}


def _cap_problem(form: Mapping[str, str]) -> dict[str, FieldError]:
    """What the schema cannot see in a cap: a channel or purpose not offered, no limit at all."""
    if form["cap_channel"] not in ("", *CHANNELS):
        return {"cap_channel": FieldError(MESSAGES["literal_error"])}
    if form["cap_purpose"] not in ("", *PURPOSES):
        return {"cap_purpose": FieldError(MESSAGES["literal_error"])}
    return {} if form["per_day"] or form["per_week"] else {"per_day": NO_LIMIT}


def _order_problem(order: list[str]) -> dict[str, FieldError]:
    """A channel order names each offered channel at most once."""
    chosen = [c for c in order if c]
    if any(c not in CHANNELS for c in chosen):
        return {"order": FieldError(MESSAGES["literal_error"])}
    return {"order": ORDER_TWICE} if len(set(chosen)) != len(chosen) else {}


def _changed(stored: dict[str, Any], part: str, form: Mapping[str, str], disabled: list[str]) -> dict[str, Any]:
    """The org layer with one part of it changed as the form says (validated by the caller); ``disabled`` holds the
    disabled channels, or for ``order`` the channels in the order chosen."""
    new = dict(stored)
    if part == "quiet":
        new.pop("quiet_hours", None)
        if form["quiet_start"] or form["quiet_end"]:
            new["quiet_hours"] = {"start": form["quiet_start"], "end": form["quiet_end"]}
    elif part in ("cap", "cap_delete"):
        caps = dict(new.get("caps") or {})
        if part == "cap":
            caps[cap_key(form["cap_channel"] or None, form["cap_purpose"] or None)] = {
                "day": form["per_day"] or None, "week": form["per_week"] or None}
        else:
            caps.pop(form["cap"], None)
        new["caps"] = caps or None
    elif part == "order":
        new["channel_order"] = [c for c in disabled if c] or None  # the channels chosen, first to last
    else:
        new["disabled_channels"] = [c for c in CHANNELS if c in disabled] or None
        consent = {p: form[f"consent_{p}"] == "yes" for p in PURPOSES if form[f"consent_{p}"] in ("yes", "no")}
        new["default_consent"] = consent or None
    return {k: v for k, v in new.items() if v is not None}


@router.post(PAGE, name="config_contact_rules_save")
def save_contact_rules(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep,
                       part: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
                       quiet_start: Annotated[str, Form()] = "", quiet_end: Annotated[str, Form()] = "",
                       cap_channel: Annotated[str, Form()] = "", cap_purpose: Annotated[str, Form()] = "",
                       per_day: Annotated[str, Form()] = "", per_week: Annotated[str, Form()] = "",
                       cap: Annotated[str, Form()] = "", disabled: Annotated[list[str] | None, Form()] = None,
                       order: Annotated[list[str] | None, Form()] = None,
                       consent_transactional: Annotated[str, Form()] = "", consent_status: Annotated[str, Form()] = "",
                       consent_promise: Annotated[str, Form()] = "", consent_survey: Annotated[str, Form()] = "",
                       consent_marketing: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    if part not in PARTS:
        raise BadRequest("Unknown part of the rules.", code="unknown_part", detail={"part": part[:32]})
    form = {k: v.strip()[:64] for k, v in (
        ("quiet_start", quiet_start), ("quiet_end", quiet_end), ("cap_channel", cap_channel),
        ("cap_purpose", cap_purpose), ("per_day", per_day), ("per_week", per_week), ("cap", cap),
        ("consent_transactional", consent_transactional), ("consent_status", consent_status),
        ("consent_promise", consent_promise), ("consent_survey", consent_survey),
        ("consent_marketing", consent_marketing))}
    if part == "cap" and (problem := _cap_problem(form)):
        return _render(request, viewer, session, pages, part=part, form=form, errors=problem, status=400)
    chosen = [c.strip()[:32] for c in (order or [])[:len(CHANNELS)]]
    if part == "order" and (problem := _order_problem(chosen)):
        form.update({f"order_{i}": c for i, c in enumerate(chosen)})
        return _render(request, viewer, session, pages, part=part, form=form, errors=problem, status=400)
    stored = preview_mod.stored_rules(session, viewer.org_id, SCOPE)
    key = cap_key(form["cap_channel"] or None, form["cap_purpose"] or None)
    fields = {**ERROR_FIELDS, f"caps.{key}.day": "per_day", f"caps.{key}.week": "per_week", "caps": "cap_channel"}
    try:
        data = RuleSet.model_validate(_changed(stored, part, form,
                                               chosen if part == "order" else (disabled or [])[:len(CHANNELS)]))
    except ValidationError as exc:
        return _render(request, viewer, session, pages, part=part, form=form, errors=field_errors(exc, fields),
                       status=400)
    policy.set_rules(session, viewer.org_id, SCOPE, data, utcnow(), actor=viewer.actor)
    anchor = "caps" if part.startswith("cap") else part
    return RedirectResponse(f"{PAGE}#{anchor}", status_code=303)
