"""Signing in to the pages with the organization's admin key, remembered in a signed, HttpOnly session cookie.

Until user accounts exist, a person signs in with the admin key. The cookie keeps only the key's SHA-256 digest
(never the key, so a leaked cookie does not reveal an API key); it is checked again on every request, so a revoked
key ends the session at once. Forms carry a per-session token (CSRF).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from momentos.auth.deps import DbSession
from momentos.config import Settings
from momentos.kit.ids import digest
from momentos.orgs.service import Principal, authenticate_digest, get_organization_by_id
from momentos.web.rendering import Viewer

SESSION_COOKIE = "momentos_session"
SESSION_AGE = 12 * 3600
KEY_FIELD = "key_digest"
CSRF_FIELD = "csrf"


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


def install_sessions(app: FastAPI, settings: Settings) -> None:
    """Signed session cookie (HttpOnly, SameSite=Lax; Secure when the public URL is https)."""
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key.get_secret_value(),
                       session_cookie=SESSION_COOKIE, max_age=SESSION_AGE, same_site="lax",
                       https_only=settings.public_url.startswith("https://"))


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = token
    return token


def csrf_ok(request: Request, submitted: str) -> bool:
    token = request.session.get(CSRF_FIELD)
    return isinstance(token, str) and bool(token) and secrets.compare_digest(token.encode(), submitted.encode())


def sign_in(request: Request, key: str) -> None:
    """Start a fresh session (and a new form token) for a checked admin key."""
    request.session.clear()
    request.session[KEY_FIELD] = digest(key)
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def admin_principal(session: Session, key_digest: object) -> Principal | None:
    """The organization of an admin key's digest; None for a missing, unknown, revoked or non-admin key."""
    if not isinstance(key_digest, str) or not key_digest:
        return None
    principal = authenticate_digest(session, key_digest)
    return principal if principal is not None and principal.kind == "admin" else None


def current_viewer(request: Request, session: Session) -> Viewer | None:
    principal = admin_principal(session, request.session.get(KEY_FIELD))
    if principal is None:
        return None
    org = get_organization_by_id(session, principal.org_id)
    return Viewer(org_id=org.id, org_slug=org.slug, org_name=org.name, timezone=org.timezone,
                  csrf=csrf_token(request))


def signed_in(request: Request, session: DbSession) -> Viewer:
    """The viewer of a page; raises LoginRequired (→ redirect to /login) without a valid admin key."""
    viewer = current_viewer(request, session)
    if viewer is None:
        request.session.pop(KEY_FIELD, None)
        raise LoginRequired()
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]
