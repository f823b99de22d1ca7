"""Request dependencies: the transaction (owned by the request) and the calling principal."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from momentos.auth.rate_limits import check_api_rate
from momentos.errors import Forbidden, Unauthorized
from momentos.kit.ids import digest
from momentos.orgs.service import Principal, authenticate


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response is sent."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def key_from_request(request: Request) -> str | None:
    """An API key from ``Authorization: Bearer KEY`` or Basic auth with the key as user (Segment style)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return None


def principal_for(session: Session, key: str | None) -> Principal:
    if not key:
        raise Unauthorized()
    principal = authenticate(session, key)
    if principal is None:
        raise Unauthorized("The API key is not valid.", code="invalid_key")
    return principal


def require_writer(request: Request, session: DbSession) -> Principal:
    """Write or admin key: may ingest."""
    return principal_for(session, key_from_request(request))


def require_admin(request: Request, session: DbSession) -> Principal:
    """Admin key: the API beside ingestion, within the key's rate limit (``auth.rate_limits``)."""
    key = key_from_request(request)
    principal = principal_for(session, key)
    if not principal.is_admin:
        raise Forbidden("An admin key is required.", code="admin_key_required")
    check_api_rate(request, digest(key or ""))
    return principal


Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
