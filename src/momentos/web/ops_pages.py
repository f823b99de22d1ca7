"""Operations: the notification outbox by status, with replay of dead (or suppressed) notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentos.auth.deps import DbSession
from momentos.dashboard import ops
from momentos.errors import BadRequest
from momentos.kit.clock import utcnow
from momentos.web.access import Operator, Reader
from momentos.web.rendering import PagesDep
from momentos.web.session import csrf_ok

router = APIRouter()


@router.get("/ops", name="ops")
def ops_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep, status: str = "dead") -> Response:
    status = status if status in ops.STATUSES else "dead"
    return pages.render(request, "ops.html", {
        "counts": ops.counts(session, viewer.org_id), "status": status,
        "notifications": ops.listing(session, viewer.org_id, status), "replayable": ops.REPLAYABLE},
        viewer=viewer)


@router.post("/ops/notifications/{notification_id}/replay", name="replay")
def replay(notification_id: int, request: Request, viewer: Operator, session: DbSession,
           csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    n = ops.replay(session, viewer.org_id, notification_id, utcnow())
    return RedirectResponse(f"/ops?status={n.status}", status_code=303)
