"""Page sessions: a signed, HttpOnly cookie that carries a random session token and the form token (CSRF).

The token's digest is a row (``users.service``): a new one at every sign-in (session fixation), revoked at
sign-out, checked on every request — so a revoked admin key, a disabled user or a removed membership ends the
session at once. People sign in with e-mail and password (role from their membership) or, as before user accounts
existed, with an organization's admin key (acts as its owner). Forms carry the per-session token (CSRF).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from momentos.auth.deps import DbSession, reads_only
from momentos.config import Settings
from momentos.db import unit_of_work
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.ids import digest
from momentos.models import WebSession
from momentos.orgs.service import Principal, authenticate_digest, get_organization_by_id
from momentos.users import service as users
from momentos.web.rendering import Viewer

SESSION_COOKIE = "momentos_session"
SESSION_AGE = int(users.SESSION_AGE.total_seconds())
TOKEN_FIELD = "sid"  # noqa: S105 - the name of a cookie field, not a secret
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


def _fresh(request: Request, session: Session) -> None:
    """Forget the old session entirely (its row is revoked) before a new one starts."""
    users.revoke_session(session, request.session.get(TOKEN_FIELD), utcnow())
    request.session.clear()


def sign_in_key(request: Request, session: Session, org_id: int, key: str) -> None:
    """Start a fresh session (new token, new form token) for a checked admin key."""
    _fresh(request, session)
    request.session[TOKEN_FIELD] = users.start_session(session, org_id, utcnow(), key_digest=digest(key))
    csrf_token(request)


def sign_in_user(request: Request, session: Session, user_id: int, org_id: int) -> None:
    _fresh(request, session)
    request.session[TOKEN_FIELD] = users.start_session(session, org_id, utcnow(), user_id=user_id)
    csrf_token(request)


def sign_out(request: Request, session: Session) -> None:
    _fresh(request, session)


def admin_principal(session: Session, key_digest: object) -> Principal | None:
    """The organization of an admin key's digest; None for a missing, unknown, revoked or non-admin key."""
    if not isinstance(key_digest, str) or not key_digest:
        return None
    principal = authenticate_digest(session, key_digest)
    return principal if principal is not None and principal.kind == "admin" else None


def live_session(request: Request, session: Session) -> WebSession | None:
    return users.find_session(session, request.session.get(TOKEN_FIELD), utcnow())


def _identity(session: Session, row: WebSession) -> tuple[str, str | None, str | None, list[users.OrgChoice]] | None:
    """(role, e-mail, preferred language, organizations) of a live session, or None when it no longer holds."""
    if row.key_digest is not None:
        principal = admin_principal(session, row.key_digest)
        if principal is None or principal.org_id != row.org_id:
            return None
        return "owner", None, None, []
    if row.user_id is None:
        return None
    user = users.get_user(session, row.user_id)
    role = users.role_in(session, row.user_id, row.org_id) if user is not None else None
    if user is None or user.disabled_at is not None or role is None:
        return None
    return role, user.email, user.language, users.memberships_of(session, user.id)


def _remember_language(request: Request, session: Session, user_id: int, language: str) -> None:
    """The language chosen with ``?lang=`` becomes the person's preference: in the request's transaction when it
    writes, else in a short transaction of its own (a page read stays a reading transaction)."""
    if not reads_only(request):
        users.set_language(session, user_id, language)
        return
    with unit_of_work(request.app.state.session_factory) as own:
        users.set_language(own, user_id, language)


def current_viewer(request: Request, session: Session) -> Viewer | None:
    row = live_session(request, session)
    identity = _identity(session, row) if row is not None else None
    if row is None or identity is None:
        return None
    role, email, language, orgs = identity
    chosen = i18n.supported(request.query_params.get("lang"))
    if chosen and row.user_id is not None and chosen != language:
        _remember_language(request, session, row.user_id, chosen)
        language = chosen
    request.state.user_language = language
    org = get_organization_by_id(session, row.org_id)
    return Viewer(org_id=org.id, org_slug=org.slug, org_name=org.name, timezone=org.timezone,
                  csrf=csrf_token(request), role=role, email=email, orgs=tuple(orgs))


def signed_in(request: Request, session: DbSession) -> Viewer:
    """The viewer of a page; raises LoginRequired (→ redirect to /login) without a live session."""
    viewer = current_viewer(request, session)
    if viewer is None:
        request.session.pop(TOKEN_FIELD, None)
        raise LoginRequired()
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]
