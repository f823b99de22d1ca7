"""Sign-in (e-mail and password, or an organization's admin key), sign-out and the organization switcher.

Failed attempts are counted per account and per client address (``users.service``): past the limit the form says
how long to wait (HTTP 429) and even the right password is refused until then. An attempt holds its account and
address from the check to the commit of its failure, so parallel attempts are counted one after another. The client
address is the connection's peer (``request.client``); forwarded headers replace it only when they come from
``MOMENTOS_TRUSTED_PROXIES`` (``web.proxies``).
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.kit.clock import utcnow
from momentos.kit.ids import digest
from momentos.orgs.service import authenticate
from momentos.users import service as users
from momentos.web.rendering import PagesDep
from momentos.web.session import (
    SignedIn,
    admin_principal,
    csrf_ok,
    csrf_token,
    current_viewer,
    live_session,
    sign_in_key,
    sign_in_user,
    sign_out,
)

router = APIRouter()
MAX_KEY_LENGTH = 200
MAX_EMAIL_LENGTH = 254


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _form(request: Request, pages: PagesDep, next_url: str, error: str | None, status: int, *, email: str = "",
          wait_minutes: int = 0) -> Response:
    headers = {"Retry-After": str(wait_minutes * 60)} if status == 429 else None
    response = pages.render(request, "login.html", {
        "csrf": csrf_token(request), "next_url": safe_next(next_url), "error": error, "email": email,
        "wait_minutes": wait_minutes}, viewer=None, status=status)
    if headers:
        response.headers.update(headers)
    return response


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", name="login")
def login_form(request: Request, session: DbSession, pages: PagesDep,
               next_url: Annotated[str, Query(alias="next")] = "/") -> Response:
    if current_viewer(request, session) is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _form(request, pages, next_url, None, 200)


def _key_sign_in(request: Request, session: Session, key: str) -> str | None:
    """None when signed in; else the error code."""
    principal = admin_principal(session, digest(key))
    if principal is None:
        return "not_admin" if authenticate(session, key) else "invalid"
    sign_in_key(request, session, principal.org_id, key)
    return None


def _password_sign_in(request: Request, session: Session, email: str, password: str) -> str | None:
    user = users.verify_password(session, email, password)
    if user is None:
        return "bad_password"
    if user.disabled_at is not None:
        return "disabled"
    orgs = users.memberships_of(session, user.id)
    if not orgs:
        return "no_organization"
    users.clear_failures(session, email)
    sign_in_user(request, session, user.id, orgs[0].org_id)
    return None


@router.post("/login")
def login(request: Request, session: DbSession, pages: PagesDep, key: Annotated[str, Form()] = "",
          email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          csrf: Annotated[str, Form()] = "", next_url: Annotated[str, Form(alias="next")] = "/") -> Response:
    key, email = key.strip()[:MAX_KEY_LENGTH], email.strip()[:MAX_EMAIL_LENGTH]
    if not csrf_ok(request, csrf):
        return _form(request, pages, next_url, "expired", 400, email=email)
    now, address = utcnow(), client_address(request)
    account = None if key else email
    wait = users.begin_attempt(session, account, address, now)  # held until this request's transaction ends
    if wait:
        return _form(request, pages, next_url, "locked", 429, email=email, wait_minutes=math.ceil(wait / 60))
    error = _key_sign_in(request, session, key) if key else _password_sign_in(request, session, email, password)
    if error is None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    users.record_failure(session, account, address, now)
    status = {"not_admin": 403, "no_organization": 403, "disabled": 403}.get(error, 401)
    return _form(request, pages, next_url, error, status, email=email)


@router.post("/logout", name="logout")
def logout(request: Request, session: DbSession, csrf: Annotated[str, Form()] = "") -> Response:
    if csrf_ok(request, csrf):
        sign_out(request, session)
    return RedirectResponse("/login", status_code=303)


@router.post("/orgs/switch", name="switch_org")
def switch_org(request: Request, viewer: SignedIn, session: DbSession, org: Annotated[int, Form()],
               csrf: Annotated[str, Form()] = "") -> Response:
    """A user who belongs to several organizations moves this session to another one of them."""
    row = live_session(request, session)
    if not csrf_ok(request, csrf) or row is None:
        return RedirectResponse("/", status_code=303)
    users.switch_org(session, row, org)
    return RedirectResponse("/", status_code=303)
