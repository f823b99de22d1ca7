"""The living journey map of a service, the drill-down behind each of its cells, and its offline HTML report.

The map page also exports itself: "Download PNG" (static/map-export.js draws it in the browser), "Download PDF"
(map.pdf: the rendered page laid out by web/map_pdf.py) and a print stylesheet (static/map-export.css) for the
browser's print dialog.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.dashboard import drill as drill_mod
from momentos.dashboard import journey_map
from momentos.dashboard.cache import ViewCache
from momentos.dashboard.filters import MapFilters
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.web.access import Reader
from momentos.web.indicator_pages import process_map_data
from momentos.web.map_pdf import map_pdf
from momentos.web.process_map import ProcessMapData
from momentos.web.rendering import Pages, PagesDep, ViewCacheDep, Viewer
from momentos.web.report import render_report
from momentos.web.wiring import wiring_of

router = APIRouter()

DOWNLOAD_HEADERS = {
    # The report is self-contained (inline CSS and SVG, no script, nothing to fetch); the PDF is a file.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@router.get("/services/{key}/map", name="journey_map")
def map_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
             start: str = "",
             end: str = "", channel: str = "", view: str = "", segment: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view, segment)
    return _render_map(key, request, viewer, session, pages, cache, filters)


@router.get("/services/{key}/map.pdf", name="journey_map_pdf")
def map_pdf_download(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                     cache: ViewCacheDep, start: str = "", end: str = "", channel: str = "",
                     view: str = "", segment: str = "") -> Response:
    """The map page, as rendered for the browser, laid out as a PDF file (web/map_pdf.py)."""
    filters = MapFilters.parse(start, end, channel, view, segment)
    page = _render_map(key, request, viewer, session, pages, cache, filters)
    process = _process_map(session, viewer, key, filters, pages.language(request))
    pdf = map_pdf(bytes(page.body).decode("utf-8"), process)
    name = f"map-{key}-{_today(viewer)}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


def _process_map(session: Session, viewer: Viewer, key: str, filters: MapFilters, lang: str) -> ProcessMapData:
    """The service's process map over its own journey model's moments, with the map's filters (as on the
    indicators page and in the offline report)."""
    service = catalog.get_service(session, viewer.org_id, key)
    model = catalog.get_journey_model(session, viewer.org_id, service.journey_model_key)
    names = {m.key: m.name(lang) for m in model.moments}
    return process_map_data(session, viewer.org_id, filters.query(key), list(names), names, lang)


def _render_map(key: str, request: Request, viewer: Viewer, session: Session, pages: Pages, cache: ViewCache,
                filters: MapFilters) -> HTMLResponse:
    data = journey_map.journey_map(session, viewer.org_id, key, filters, cache,
                                   rows=wiring_of(request).map_rows)
    return pages.render(request, "map.html", {"map": data, "filters": filters, "generated": utcnow()},
                        viewer=viewer)


def _today(viewer: Viewer) -> str:
    """Today in the organization's time zone (for file names)."""
    return utcnow().astimezone(i18n.zone(viewer.timezone)).date().isoformat()


@router.get("/services/{key}/map/cell", name="map_cell")
def cell_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
              moment: str = "",
              kind: str = "", start: str = "", end: str = "", channel: str = "", view: str = "",
              segment: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view, segment)
    data = drill_mod.drill(session, viewer.org_id, key, filters, moment[:64], kind[:32], cache)
    shown = journey_map.shown_model(session, viewer.org_id, data.service, filters)
    lang = pages.language(request)
    name = shown.moment(moment).name(lang) if shown.has(moment) else None if moment == drill_mod.ALL_MOMENTS else moment
    # Where each process stands now, by the moment's name (processes of another cycle may stand anywhere).
    own = catalog.get_journey_model(session, viewer.org_id, data.service.journey_model_key)
    names = {m.key: m.name(lang) for model in (shown, own) for m in model.moments}
    chosen = segments.get_segment(session, viewer.org_id, filters.segment) if filters.segment else None
    return pages.render(request, "cell.html", {"drill": data, "filters": filters, "moment_name": name,
                                               "moment_names": names, "segment": chosen,
                                               "limit": drill_mod.LIMIT}, viewer=viewer)


@router.get("/services/{key}/report.html", name="map_report")
def report_download(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep,
                    start: str = "", end: str = "", channel: str = "", view: str = "",
                    segment: str = "") -> Response:
    """The offline HTML report of the service (``momentos report``) with the map's filters, as a download."""
    filters = MapFilters.parse(start, end, channel, view, segment)
    html = render_report(session, viewer.org_id, filters.query(key), pages.language(request))
    name = f"report-{key}-{_today(viewer)}.html"
    return HTMLResponse(html, headers={**DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
