"""A process's links for its customer, from the customer page: get or revoke the status-page link, get a survey link
(an invitation, as the API's) or end it. Every role that works with customers may; each change names the person
in the audit log. Only the token's digest is stored: the link is derived again to be shown."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from momentos.auth.deps import DbSession
from momentos.errors import BadRequest, Conflict, NotFound
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.models import Customer, Process
from momentos.notify import status_tokens
from momentos.processes import service as processes
from momentos.web.access import AnyRole
from momentos.web.session import csrf_ok

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Text = Annotated[str, Form()]


def _process(request: Request, viewer: AnyRole, session: DbSession, process_id: int, csrf: str) -> Process:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    return processes.get_process(session, viewer.org_id, process_id)


def _back(session: DbSession, process: Process, *, problem: str = "") -> RedirectResponse:
    customer = session.get_one(Customer, process.customer_id)
    query = f"?problem={problem}" if problem else ""
    return RedirectResponse(f"/customers/{quote(customer.external_id, safe='')}{query}#process-{process.id}",
                            status_code=303)


@router.post("/processes/{process_id}/status-link", name="status_link_create")
def create_status_link(process_id: Id, request: Request, viewer: AnyRole, session: DbSession,
                       csrf: Text = "") -> Response:
    process = _process(request, viewer, session, process_id, csrf)
    status_tokens.issue(session, viewer.org_id, process.id, utcnow(), actor=viewer.actor)
    return _back(session, process)


@router.post("/processes/{process_id}/status-link/revoke", name="status_link_revoke")
def revoke_status_link(process_id: Id, request: Request, viewer: AnyRole, session: DbSession,
                       csrf: Text = "") -> Response:
    process = _process(request, viewer, session, process_id, csrf)
    status_tokens.revoke_by(session, viewer.org_id, process.id, utcnow(), actor=viewer.actor)
    return _back(session, process)


@router.post("/processes/{process_id}/survey-link", name="survey_link_create")
def create_survey_link(process_id: Id, request: Request, viewer: AnyRole, session: DbSession, survey: Text = "",
                       csrf: Text = "") -> Response:
    process = _process(request, viewer, session, process_id, csrf)
    try:
        chosen = surveys.get_survey(session, viewer.org_id, survey[:64])
        surveys.invite_to_process(session, viewer.org_id, chosen, process, utcnow(), actor=viewer.actor)
    except NotFound:
        return _back(session, process, problem="unknown_survey")
    except Conflict:
        return _back(session, process, problem="invitation_exists")
    return _back(session, process)


@router.post("/processes/{process_id}/survey-link/revoke", name="survey_link_revoke")
def revoke_survey_link(process_id: Id, request: Request, viewer: AnyRole, session: DbSession,
                       csrf: Text = "") -> Response:
    process = _process(request, viewer, session, process_id, csrf)
    now = utcnow()
    invitation = surveys.open_invitation(session, process.id, now)
    if invitation is not None:
        surveys.revoke_invitation(session, viewer.org_id, invitation, now, actor=viewer.actor)
    return _back(session, process)
