"""One early-warning alert (a warning episode) on its own page: its scope, span and figures, the hourly timeline of
mentions against the baseline, and its negative mentions with their customers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.kit.params import BigInt
from momentos.listening.warning import episodes
from momentos.web.access import Reader
from momentos.web.charts import Series
from momentos.web.line_charts import line_chart
from momentos.web.rendering import PagesDep

router = APIRouter()
MENTIONS_SHOWN = 200


@router.get("/alerts/{episode_id}", name="alert")
def alert_page(episode_id: BigInt, request: Request, viewer: Reader, session: DbSession,
               pages: PagesDep) -> Response:
    episode = episodes.get_episode(session, viewer.org_id, episode_id)
    lang = pages.language(request)
    hours = episodes.timeline(session, episode, utcnow())

    def t(message: str) -> str:
        return i18n.gettext(lang, message)

    def number(v: float | None) -> str:
        return "–" if v is None else i18n.format_number(round(v, 1), lang)

    labels = [i18n.format_datetime(h.at, lang) for h in hours]
    chart = line_chart(t(N_("Mentions per hour")), labels, [
        Series(t(N_("Mentions")), [h.mentions for h in hours]),
        Series(t(N_("Negative")), [h.negatives for h in hours]),
        Series(t(N_("Usual (same hour, previous weeks)")), [h.baseline for h in hours])],
        description=t(N_("Analysed mentions and negative ones in each hour around the spike, beside the usual "
                         "number of mentions at that hour of the week.")),
        fmt=number, y_min=0, dashed=(t(N_("Usual (same hour, previous weeks)")),), chart_id="chart-timeline")
    services = {s.id: s for s in catalog.list_services(session, viewer.org_id)}
    return pages.render(request, "alert.html", {
        "episode": episode, "service": services.get(episode.service_id or 0),
        "negatives": episodes.negatives_of(session, episode), "hours": episodes.span_hours(episode),
        "end": episodes.end_of(episode), "timeline": chart,
        "mentions": episodes.mentions(session, episode, MENTIONS_SHOWN)}, viewer=viewer)
