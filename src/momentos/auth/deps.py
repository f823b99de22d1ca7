"""Request dependencies: the transaction (owned by the request) and the calling principal."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from momentos.auth.rate_limits import check_api_rate
from momentos.errors import Forbidden, Unauthorized
from momentos.kit.ids import digest
from momentos.orgs.service import Principal, authenticate

TRANSACTION = "momentos_transaction"
"""Attribute that :func:`reads` and :func:`writes` set on a route's endpoint."""
READ_METHODS = frozenset({"GET", "HEAD"})
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def _mark(endpoint: Endpoint, kind: Literal["read", "write"]) -> Endpoint:
    setattr(endpoint, TRANSACTION, kind)
    return endpoint


def reads(endpoint: Endpoint) -> Endpoint:
    """Mark a route that only reads although its method is not GET or HEAD (previews, checks): its transaction is
    a reading one. Put it under the ``@router.post(…)`` line."""
    return _mark(endpoint, "read")


def writes(endpoint: Endpoint) -> Endpoint:
    """Mark a GET or HEAD route that writes in its request transaction: its transaction is a writing one."""
    return _mark(endpoint, "write")


def reads_only(request: Request) -> bool:
    """Whether the request's transaction only reads: the route's mark (:func:`reads`, :func:`writes`), else its
    method (GET and HEAD read; everything else writes)."""
    marked = getattr(request.scope.get("endpoint"), TRANSACTION, None)
    return marked == "read" if marked else request.method in READ_METHODS


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response is sent. A request
    that only reads (:func:`reads_only`) gets a reading transaction (``app.state.read_session_factory``: a deferred
    BEGIN on SQLite, never the write lock; READ ONLY on PostgreSQL); the others take SQLite's write lock at BEGIN
    (``app.state.session_factory``)."""
    state = request.app.state
    factory = state.read_session_factory if reads_only(request) else state.session_factory
    session: Session = factory()
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
