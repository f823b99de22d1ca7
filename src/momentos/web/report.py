"""``momentos report``: one self-contained HTML file with a service's (or the organization's) indicators, and a
service's conformance to its designed journey.

Everything is inside the file (inline CSS, inline SVG charts, no script, no link to fetch), so it opens offline,
from mail, in any browser. Texts come from the message catalogs (es or en).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.catalog import service as catalog
from momentos.dashboard.conformance_view import conformance_view
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.models import Organization
from momentos.segments import service as segments
from momentos.web.indicator_pages import build_charts, build_process_map, moment_names
from momentos.web.rendering import STATIC_DIR, build_environment


def render_report(session: Session, org_id: int, q: AnalyticsQuery, lang: str, now: datetime | None = None) -> str:
    """The report as HTML text (``q``: service, channel, period and segment; moments are always shown)."""
    org = session.get_one(Organization, org_id)
    ind = analytics.moment_indicators(session, org_id, q, now=now)
    names = moment_names(session, org_id, ind, lang)
    model = catalog.get_journey_model(session, org_id, ind.model)
    service_name = ""
    if q.service:
        service = catalog.get_service(session, org_id, q.service)
        service_name = (service.name_es if lang == "es" else service.name_en) or service.key
    segment_name = ""
    if q.segment:
        segment = segments.get_segment(session, org_id, q.segment)
        segment_name = (segment.name_es if lang == "es" else segment.name_en) or segment.key
    conformance = conformance_view(session, org_id, q.service) if q.service else None
    css = "\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in ("charts.css", "report.css"))
    template = build_environment().get_template("report.html")
    return template.render(
        lang=lang, timezone="UTC", ind=ind, names=names, charts=build_charts(ind, names, lang), css=css,
        process=build_process_map(session, org_id, q, ind, names, lang),
        org_name=org.name, service_name=service_name, segment_name=segment_name, model_name=model.name(lang),
        conformance=conformance,
        conformance_names={m.key: m.name(lang) for m in conformance.model.moments} if conformance else {},
        period=_period(q, lang), generated=i18n.format_datetime(now or utcnow(), lang, "UTC"))


def _period(q: AnalyticsQuery, lang: str) -> str:
    if q.start is None and q.end is None:
        return i18n.gettext(lang, N_("All time"))
    start = i18n.format_date(q.start, lang, "UTC") if q.start else "…"
    end = i18n.format_date(q.end - timedelta(microseconds=1), lang, "UTC") if q.end else "…"
    return f"{start} – {end}"


def write_report(session: Session, org_id: int, q: AnalyticsQuery, lang: str, out: Path) -> None:
    out.write_text(render_report(session, org_id, q, lang), encoding="utf-8")
