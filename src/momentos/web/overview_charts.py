"""The overview's charts, drawn from ``dashboard.overview_trends``: promise compliance per service (kept / not kept
/ open per promise kind, stacked bars), the NPS and CSAT trend (weekly points) and a sparkline per top need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from markupsafe import Markup

from momentos.dashboard.overview_trends import OverviewTrends
from momentos.kit import i18n
from momentos.kit.i18n import N_
from momentos.web.charts import Series, bar_chart
from momentos.web.labels import message_id
from momentos.web.line_charts import line_chart, sparkline


@dataclass(frozen=True)
class OverviewCharts:
    compliance: list[Markup]
    """One stacked bar chart per service with promises."""
    nps: Markup | None
    csat: Markup | None
    needs: dict[int, Markup]
    """Need id → its sparkline."""


def _loc(obj: object, field: str, lang: str) -> str:
    return str(getattr(obj, f"{field}_{lang}", None) or getattr(obj, f"{field}_es", ""))


def _week(period: str, lang: str) -> str:
    """An ISO week (``2026-W10``) as the date of its Monday: "2 mar" / "Mar 2"."""
    year, week = period.split("-W")
    monday = datetime.combine(date.fromisocalendar(int(year), int(week), 1), time(), tzinfo=UTC)
    return i18n.format_date(monday, lang, fmt="d MMM" if lang == "es" else "MMM d")


def build(trends: OverviewTrends, lang: str) -> OverviewCharts:
    def t(message: str) -> str:
        return i18n.gettext(lang, message)

    def number(v: float | None) -> str:
        return "–" if v is None else i18n.format_number(round(v, 1), lang)

    compliance = []
    for sc in trends.compliance:
        name = _loc(sc.service, "name", lang)
        kinds = [t(message_id("promise_kind", k.kind) or N_("Other")) for k in sc.kinds]
        compliance.append(bar_chart(
            t(N_("Promise compliance: %(service)s")) % {"service": name}, kinds, [
                Series(t(N_("Kept")), [k.kept for k in sc.kinds]),
                Series(t(N_("Not kept")), [k.broken for k in sc.kinds]),
                Series(t(N_("Open")), [k.open for k in sc.kinds])],
            description=t(N_("Promises of each kind kept, not kept and still open, since the start.")),
            fmt=number, stacked=True, chart_id=f"chart-promises-{sc.service.key}"))
    weeks = trends.weeks
    labels = [_week(w.period, lang) for w in weeks]
    nps = line_chart(t(N_("NPS by week")), labels, [Series(t(N_("NPS")), [w.scores.nps for w in weeks])],
                     description=t(N_("Net Promoter Score of the answers of each week (−100 to 100).")),
                     fmt=number, y_min=-100, y_max=100, chart_id="chart-nps") if weeks else None
    csat = line_chart(t(N_("CSAT by week")), labels, [Series(t(N_("CSAT (1–5)")), [w.scores.csat for w in weeks])],
                      description=t(N_("Mean satisfaction of the answers of each week (1 to 5).")),
                      fmt=number, y_min=1, y_max=5, chart_id="chart-csat") if weeks else None
    needs = {n.id: sparkline(n.trend, t(N_("Comments per week, oldest first: %(figures)s"))
                             % {"figures": ", ".join(str(v) for v in n.trend)}) for n in trends.needs}
    return OverviewCharts(compliance, nps, csat, needs)
