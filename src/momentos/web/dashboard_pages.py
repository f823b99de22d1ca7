"""The organization's overview: services, reach and outcome per moment (moved on / still here / dropped), and alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.dashboard import overview, overview_trends
from momentos.kit.clock import utcnow
from momentos.web import overview_charts
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep, ViewCacheDep
from momentos.web.wiring import wiring_of

router = APIRouter()


@router.get("/overview", name="overview")
def overview_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                  cache: ViewCacheDep) -> Response:
    needs = overview.top_needs(session, viewer.org_id)
    return pages.render(request, "overview.html", {
        "summaries": overview.summaries(session, viewer.org_id, cache),
        "alerts": overview.alerts(session, viewer.org_id, wiring_of(request).alert_sources),
        "needs": needs, "charts": overview_charts.build(overview_trends.trends(session, viewer.org_id, utcnow(), needs),
                                                       pages.language(request))}, viewer=viewer)
