"""Sign-in with the organization's admin key, and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentos.auth.deps import DbSession
from momentos.kit.ids import digest
from momentos.orgs.service import authenticate
from momentos.web.rendering import PagesDep
from momentos.web.session import admin_principal, csrf_ok, csrf_token, current_viewer, sign_in, sign_out

router = APIRouter()
MAX_KEY_LENGTH = 200


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _form(request: Request, pages: PagesDep, next_url: str, error: str | None, status: int) -> Response:
    return pages.render(request, "login.html", {"csrf": csrf_token(request), "next_url": safe_next(next_url),
                                                "error": error}, viewer=None, status=status)


@router.get("/login", name="login")
def login_form(request: Request, session: DbSession, pages: PagesDep,
               next_url: Annotated[str, Query(alias="next")] = "/") -> Response:
    if current_viewer(request, session) is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _form(request, pages, next_url, None, 200)


@router.post("/login")
def login(request: Request, session: DbSession, pages: PagesDep, key: Annotated[str, Form()] = "",
          csrf: Annotated[str, Form()] = "", next_url: Annotated[str, Form(alias="next")] = "/") -> Response:
    key = key.strip()[:MAX_KEY_LENGTH]
    if not csrf_ok(request, csrf):
        return _form(request, pages, next_url, "expired", 400)
    if admin_principal(session, digest(key)) is None:
        known = authenticate(session, key) if key else None
        return _form(request, pages, next_url, "not_admin" if known else "invalid", 403 if known else 401)
    sign_in(request, key)
    return RedirectResponse(safe_next(next_url), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    if csrf_ok(request, csrf):
        sign_out(request)
    return RedirectResponse("/login", status_code=303)
