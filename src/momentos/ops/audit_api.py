"""Thin route: the organization's audit log (admin key). It lives here, above ``auth``, because ``audit`` sits
below the packages that record into it (``orgs``, ``users`` and every domain)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from momentos.audit import service as audit
from momentos.audit.schemas import AuditEntryRead, AuditPage
from momentos.auth.deps import Admin, DbSession
from momentos.errors import ValidationFailed
from momentos.kit.clock import ensure_utc

router = APIRouter(prefix="/api/v1", tags=["audit"])
MAX_ID = 2**63 - 1
Text = Annotated[str | None, Query(max_length=255)]


@router.get("/audit")
def list_audit(p: Admin, session: DbSession, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               action: Annotated[str | None, Query(max_length=64)] = None, actor: Text = None, target: Text = None,
               start: Annotated[datetime | None, Query(alias="from")] = None,
               end: Annotated[datetime | None, Query(alias="to")] = None) -> AuditPage:
    """Who changed what, newest first. ``before``: the ``next_before`` of the previous page; ``action`` and
    ``target`` match by prefix (``service`` → ``service.create``, ``service.update``); ``actor``: the actor's label
    (an e-mail, ``admin key ab12cd``…); ``from`` (inclusive) and ``to`` (exclusive): the time range."""
    since, until = (ensure_utc(start) if start else None), (ensure_utc(end) if end else None)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("'from' must be before 'to'.", code="invalid_range",
                               detail={"from": since.isoformat(), "to": until.isoformat()})
    rows = audit.entries(session, p.org_id, before_id=before, limit=limit, action=action, actor=actor, target=target,
                         since=since, until=until)
    return AuditPage(entries=[AuditEntryRead.of(r) for r in rows],
                     next_before=rows[-1].id if len(rows) == limit else None)
