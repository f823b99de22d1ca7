"""Access settings, for owners only: the organization's API keys (create, showing the secret once; revoke; rotate
with a grace period) and its people (role, disable or enable, remove). Every change goes through ``orgs.keys`` or
``users.people``, which record it in the audit log with the signed-in viewer as the actor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.errors import BadRequest, Conflict
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.orgs import keys
from momentos.orgs.schemas import MAX_GRACE_SECONDS, KeyCreate
from momentos.users import people
from momentos.users.roles import ROLES
from momentos.web.access import Owner
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_GRACE_HOURS = MAX_GRACE_SECONDS // 3600
PROBLEMS: dict[str, str] = {
    "last_admin_key": N_("This is the organization's last admin key. Rotate it instead (with no grace period the "
                         "old key ends at once), or create another admin key first."),
    "key_revoked": N_("That key is already revoked."),
    "key_expired": N_("That key has already expired."),
    "own_account": N_("You cannot change your own account here."),
    "user_in_other_organizations": N_("This person also belongs to other organizations: remove them from this one "
                                      "instead."),
    "invalid_key_form": N_("Choose the kind of key (write or admin) and a name of at most 100 characters."),
}


def _check(request: Request, csrf: str) -> None:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")


def _keys_page(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, issued: Any = None,
               replaced: Any = None, problem: str | None = None, status: int = 200) -> Response:
    now = utcnow()
    return pages.render(request, "settings_keys.html", {
        "keys": [keys.key_read(k, now) for k in keys.list_keys(session, viewer.org_id)], "issued": issued,
        "replaced": replaced, "problem": PROBLEMS.get(problem or ""), "max_grace_hours": MAX_GRACE_HOURS},
        viewer=viewer, status=status)


@router.get("/settings", name="settings")
def settings(viewer: Owner) -> Response:
    return RedirectResponse("/settings/keys", status_code=303)


@router.get("/settings/keys", name="settings_keys")
def keys_page(request: Request, viewer: Owner, session: DbSession, pages: PagesDep) -> Response:
    return _keys_page(request, viewer, session, pages)


@router.post("/settings/keys", name="settings_key_create")
def create_key(request: Request, viewer: Owner, session: DbSession, pages: PagesDep,
               kind: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
               csrf: Annotated[str, Form()] = "") -> Response:
    """The new key's secret is in this answer only (not in a URL, not in the session)."""
    _check(request, csrf)
    try:
        data = KeyCreate.model_validate({"kind": kind, "name": name})
    except ValidationError:
        return _keys_page(request, viewer, session, pages, problem="invalid_key_form", status=400)
    key, secret = keys.create_key(session, viewer.org_id, data, viewer.actor, utcnow())
    return _keys_page(request, viewer, session, pages, issued={"id": key.id, "kind": key.kind, "secret": secret})


@router.post("/settings/keys/{key_id}/revoke", name="settings_key_revoke")
def revoke_key(request: Request, key_id: Id, viewer: Owner, session: DbSession, pages: PagesDep,
               csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    try:
        keys.revoke_key(session, viewer.org_id, key_id, viewer.actor, utcnow())
    except Conflict as exc:
        return _keys_page(request, viewer, session, pages, problem=exc.code, status=409)
    return RedirectResponse("/settings/keys#keys", status_code=303)


@router.post("/settings/keys/{key_id}/rotate", name="settings_key_rotate")
def rotate_key(request: Request, key_id: Id, viewer: Owner, session: DbSession, pages: PagesDep,
               grace_hours: Annotated[int, Form(ge=0, le=MAX_GRACE_HOURS)] = 0,
               csrf: Annotated[str, Form()] = "") -> Response:
    _check(request, csrf)
    try:
        fresh, secret, old = keys.rotate_key(session, viewer.org_id, key_id, grace_hours * 3600, viewer.actor,
                                             utcnow())
    except Conflict as exc:
        return _keys_page(request, viewer, session, pages, problem=exc.code, status=409)
    return _keys_page(request, viewer, session, pages, issued={"id": fresh.id, "kind": fresh.kind, "secret": secret},
                      replaced=keys.key_read(old, utcnow()))


def _people_page(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *,
                 problem: str | None = None, status: int = 200) -> Response:
    return pages.render(request, "settings_people.html", {
        "members": people.members(session, viewer.org_id), "roles": ROLES, "problem": PROBLEMS.get(problem or "")},
        viewer=viewer, status=status)


@router.get("/settings/people", name="settings_people")
def people_page(request: Request, viewer: Owner, session: DbSession, pages: PagesDep) -> Response:
    return _people_page(request, viewer, session, pages)


@router.post("/settings/people/{user_id}/{action}", name="settings_person_change")
def change_person(request: Request, user_id: Id, action: str, viewer: Owner, session: DbSession, pages: PagesDep,
                  role: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    """``action``: ``role`` (with ``role``), ``disable``, ``enable`` or ``remove``."""
    _check(request, csrf)
    org_id, actor, now = viewer.org_id, viewer.actor, utcnow()
    changes = {"role": lambda: people.change_role(session, org_id, user_id, role, actor, now),
               "disable": lambda: people.disable_member(session, org_id, user_id, actor, now),
               "enable": lambda: people.enable_member(session, org_id, user_id, actor),
               "remove": lambda: people.remove_member(session, org_id, user_id, actor)}
    if action not in changes:
        raise BadRequest("Unknown change.", code="unknown_action", detail={"actions": sorted(changes)})
    try:
        changes[action]()
    except Conflict as exc:
        return _people_page(request, viewer, session, pages, problem=exc.code, status=409)
    return RedirectResponse("/settings/people#people", status_code=303)
