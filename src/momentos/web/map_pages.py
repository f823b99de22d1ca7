"""The living journey map of a service, the drill-down behind each of its cells, and its offline HTML report.

The map page also exports itself: "Download PNG" (static/map-export.js draws it in the browser) and a print
stylesheet (static/map-export.css) that turns it into a PDF through the browser's print dialog.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from momentos.auth.deps import DbSession
from momentos.dashboard import drill as drill_mod
from momentos.dashboard import journey_map
from momentos.dashboard.filters import MapFilters
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep, ViewCacheDep
from momentos.web.report import render_report

router = APIRouter()

REPORT_HEADERS = {
    # The report is self-contained: inline CSS and SVG, no script, nothing to fetch.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@router.get("/services/{key}/map", name="journey_map")
def map_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
             start: str = "",
             end: str = "", channel: str = "", view: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view)
    data = journey_map.journey_map(session, viewer.org_id, key, filters, cache)
    return pages.render(request, "map.html", {"map": data, "filters": filters, "generated": utcnow()},
                        viewer=viewer)


@router.get("/services/{key}/map/cell", name="map_cell")
def cell_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
              moment: str = "",
              kind: str = "", start: str = "", end: str = "", channel: str = "", view: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view)
    data = drill_mod.drill(session, viewer.org_id, key, filters, moment[:64], kind[:32], cache)
    shown = journey_map.shown_model(session, viewer.org_id, data.service, filters)
    name = shown.moment(moment).name(pages.language(request)) if shown.has(moment) else moment
    return pages.render(request, "cell.html", {"drill": data, "filters": filters, "moment_name": name,
                                               "limit": drill_mod.LIMIT}, viewer=viewer)


@router.get("/services/{key}/report.html", name="map_report")
def report_download(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                    start: str = "", end: str = "", channel: str = "", view: str = "") -> Response:
    """The offline HTML report of the service (``momentos report``) with the map's filters, as a download."""
    filters = MapFilters.parse(start, end, channel, view)
    now = utcnow()
    html = render_report(session, viewer.org_id, filters.query(key), pages.language(request), now)
    name = f"report-{key}-{now.astimezone(i18n.zone(viewer.timezone)).date().isoformat()}.html"
    return HTMLResponse(html, headers={**REPORT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
