"""The organization's overview: services with contact level, reach and conversion per moment, and alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.dashboard import overview
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep

router = APIRouter()


@router.get("/overview", name="overview")
def overview_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return pages.render(request, "overview.html", {
        "summaries": overview.summaries(session, viewer.org_id),
        "alerts": overview.alerts(session, viewer.org_id)}, viewer=viewer)
