"""Pages of the catalog: the services with their contact levels, and one service's journey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.catalog.contact_levels import LevelResult
from momentos.catalog.presets import JourneyModelDef, Moment
from momentos.models import Service, Touchpoint
from momentos.processes import service as processes
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep
from momentos.web.session import SignedIn

router = APIRouter()


@dataclass(frozen=True)
class ServiceCard:
    service: Service
    level: LevelResult
    figures: processes.ServiceFigures


@dataclass(frozen=True)
class TouchpointView:
    touchpoint: Touchpoint
    intensity: str
    intensity_is_default: bool


@dataclass(frozen=True)
class MomentColumn:
    position: int
    moment: Moment
    intensity: str
    processes: int
    share: int
    """Percent of the busiest moment's count (the bar's length)."""
    touchpoints: list[TouchpointView]


@router.get("/", name="services")
def services_page(request: Request, viewer: SignedIn, session: DbSession, pages: PagesDep) -> Response:
    if not viewer.can("read"):  # agents start at the customers
        return RedirectResponse("/customers", status_code=303)
    figures = processes.count_by_service(session, viewer.org_id)
    cards = [ServiceCard(s, catalog.explain_level(s), figures.get(s.id, processes.ServiceFigures()))
             for s in catalog.list_services(session, viewer.org_id)]
    return pages.render(request, "services.html", {"cards": cards}, viewer=viewer)


def journey_columns(service: Service, model: JourneyModelDef, touchpoints: Sequence[Touchpoint],
                    counts: dict[str, int]) -> list[MomentColumn]:
    busiest = max(counts.values(), default=0)
    columns = []
    for position, moment in enumerate(model.moments, start=1):
        count = counts.get(moment.key, 0)
        views = []
        for tp in touchpoints:
            if tp.moment == moment.key:
                eff = catalog.touchpoint_intensity(service, model, tp)
                views.append(TouchpointView(tp, eff.intensity, eff.is_default))
        columns.append(MomentColumn(position, moment, catalog.moment_intensity(service, model, moment.key,
                                                                                touchpoints),
                                    count, round(100 * count / busiest) if busiest else 0, views))
    return columns


@router.get("/services/{key}", name="service")
def service_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    service = catalog.get_service(session, viewer.org_id, key)
    model = catalog.get_journey_model(session, viewer.org_id, service.journey_model_key)
    touchpoints = catalog.list_touchpoints(session, viewer.org_id, service.id)
    counts = processes.count_by_moment(session, viewer.org_id, service.id)
    columns = journey_columns(service, model, touchpoints, counts)
    return pages.render(request, "service.html", {
        "service": service, "model": model, "level": catalog.explain_level(service), "columns": columns,
        "total": sum(c.processes for c in columns)}, viewer=viewer)
