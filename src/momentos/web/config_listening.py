"""Configuration of listening: the organization's sentiment adapter (on or off, its cross-validated macro-F1 against
the default's, on how many labels, when decided) and how each source's imported ratings become labels. Managers
change the rating scales; analysts read (no form); agents get 403."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession
from momentos.errors import BadRequest
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.listening.analysis import adapter, ratings
from momentos.listening.analysis.adaptation import MARGIN, MIN_LABELS
from momentos.listening.analysis.service import read_settings
from momentos.listening.warning import service as early_warning
from momentos.web.access import Configurer, Reader
from momentos.web.rendering import PagesDep, Viewer
from momentos.web.session import csrf_ok

router = APIRouter()
WARNING_MODES: dict[str, tuple[str, str]] = {
    "silent": (N_("Silent"), N_("Less than a day of the organization's own comments: no alert yet (no history to "
                                "compare with; nothing is padded with zeros).")),
    "warming": (N_("Warming up"), N_("Less than two weeks of history: each rolling hour is compared with the same "
                                     "time on the previous days, with a stricter threshold and at least 8 negative "
                                     "comments.")),
    "full": (N_("Full baseline"), N_("Each rolling hour is compared with the same time of the week over the last "
                                     "four weeks, with at least 5 negative comments.")),
}
"""What the early warning does now (``warning.service.mode``), as the page says it."""
SCALE_NAMES: dict[str, str] = {
    "auto": N_("Automatic"), "stars": N_("1 to 5 stars"), "ten": N_("0 to 10"), "off": N_("Not used")}


def _render(request: Request, viewer: Viewer, session: Session, pages: PagesDep, *, error: str = "",
            status: int = 200) -> Response:
    row = read_settings(session, viewer.org_id, utcnow())
    sources = adapter.rating_sources(session, viewer.org_id, dict(row.rating_scales or {}))
    return pages.render(request, "config_listening.html", {
        "settings": row, "sources": sources, "scales": ratings.SCALES, "scale_names": SCALE_NAMES,
        "margin": MARGIN, "min_labels": MIN_LABELS, "error": error,
        "warning_mode": WARNING_MODES[early_warning.mode(session, viewer.org_id, utcnow())]},
        viewer=viewer, status=status)


@router.get("/config/listening", name="config_listening")
def listening_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep) -> Response:
    return _render(request, viewer, session, pages)


@router.post("/config/listening/ratings", name="config_listening_ratings")
async def set_ratings(request: Request, viewer: Configurer, session: DbSession, pages: PagesDep) -> Response:
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        raise BadRequest("The form expired.", code="csrf_failed")
    scales = {str(k)[6:][:64]: str(v) for k, v in form.multi_items() if str(k).startswith("scale:")}
    unknown = sorted(s for s, v in scales.items() if v not in ratings.SCALES)
    if unknown:
        return _render(request, viewer, session, pages, status=400,
                       error=N_("Choose one of the listed scales for every source."))
    adapter.set_rating_scales(session, viewer.org_id, scales, utcnow(), actor=viewer.actor)
    return RedirectResponse("/config/listening#ratings", status_code=303)
