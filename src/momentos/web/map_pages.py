"""The living journey map of a service, and the drill-down behind each of its cells."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.dashboard import drill as drill_mod
from momentos.dashboard import journey_map
from momentos.dashboard.filters import MapFilters
from momentos.segments import service as segments
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep, ViewCacheDep

router = APIRouter()


@router.get("/services/{key}/map", name="journey_map")
def map_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
             start: str = "",
             end: str = "", channel: str = "", view: str = "", segment: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view, segment)
    data = journey_map.journey_map(session, viewer.org_id, key, filters, cache)
    return pages.render(request, "map.html", {"map": data, "filters": filters}, viewer=viewer)


@router.get("/services/{key}/map/cell", name="map_cell")
def cell_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep, cache: ViewCacheDep,
              moment: str = "",
              kind: str = "", start: str = "", end: str = "", channel: str = "", view: str = "",
              segment: str = "") -> Response:
    filters = MapFilters.parse(start, end, channel, view, segment)
    data = drill_mod.drill(session, viewer.org_id, key, filters, moment[:64], kind[:32], cache)
    shown = journey_map.shown_model(session, viewer.org_id, data.service, filters)
    name = shown.moment(moment).name(pages.language(request)) if shown.has(moment) else moment
    chosen = segments.get_segment(session, viewer.org_id, filters.segment) if filters.segment else None
    return pages.render(request, "cell.html", {"drill": data, "filters": filters, "moment_name": name,
                                               "segment": chosen, "limit": drill_mod.LIMIT}, viewer=viewer)
