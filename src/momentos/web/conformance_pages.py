"""The conformance page of a service: how its processes follow the designed journey (issue #18)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.dashboard.conformance_view import conformance_view
from momentos.dashboard.drill import ALL_MOMENTS
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep

router = APIRouter()


@router.get("/services/{key}/conformance", name="service_conformance")
def conformance_page(key: str, request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    data = conformance_view(session, viewer.org_id, key)
    lang = pages.language(request)
    names = {m.key: m.name(lang) for m in data.model.moments}
    return pages.render(request, "conformance.html", {"view": data, "names": names, "all_moments": ALL_MOMENTS},
                        viewer=viewer)
