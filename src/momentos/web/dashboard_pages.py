"""The organization's overview: services, reach and outcome per moment (moved on / still here / dropped), and alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.dashboard import overview
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep, ViewCacheDep
from momentos.web.wiring import wiring_of

router = APIRouter()


@router.get("/overview", name="overview")
def overview_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                  cache: ViewCacheDep) -> Response:
    return pages.render(request, "overview.html", {
        "summaries": overview.summaries(session, viewer.org_id, cache),
        "alerts": overview.alerts(session, viewer.org_id, wiring_of(request).alert_sources),
        "needs": overview.top_needs(session, viewer.org_id)}, viewer=viewer)
