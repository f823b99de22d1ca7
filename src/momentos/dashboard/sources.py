"""The rows and alerts of the dashboard that other domains own (handed to ``journey_map.journey_map`` and
``overview.alerts`` by the caller, as wired by ``bootstrap``): promise compliance (``promises.indicators``), the
emotion curve (``listening.surveys.indicators``), needs (``listening.needs``), broken promises still owed and
early-warning episodes. Nothing is computed here beyond placing those services' answers in the moments shown and
formatting them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.dashboard.journey_map import MapContext, RowCell, RowSource
from momentos.dashboard.overview import Alert, AlertSource
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.listening.needs import service as needs
from momentos.listening.surveys import indicators as listening_indicators
from momentos.listening.warning import episodes
from momentos.promises import indicators as promise_indicators

ALERT_WINDOW = timedelta(days=7)
"""Broken promises and early-warning episodes of the last 7 days are active alerts."""
WARNING_WINDOW = timedelta(hours=24)
NEEDS_PER_MOMENT = 3


def _placed(session: Session, ctx: MapContext) -> dict[str, str | None]:
    """Moment of the service's model → the moment shown (itself, or its first contact moment in canonical view)."""
    model = catalog.get_journey_model(session, ctx.org_id, ctx.service.journey_model_key)
    shown = set(ctx.moments)
    return {k: (k if k in shown else model.to_canonical(k)) for k in model.keys}


def _period(ctx: MapContext) -> tuple[datetime | None, datetime | None]:
    q = ctx.filters.query(ctx.service.key)
    return q.start, q.end


def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)} %"


def promises_row(session: Session, ctx: MapContext) -> dict[str, RowCell]:
    start, end = _period(ctx)
    rows = promise_indicators.compliance(session, ctx.org_id, by="moment", period="all", start=start, end=end,
                                         service_id=ctx.service.id, customers=ctx.customers)
    placed = _placed(session, ctx)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        at = placed.get(r.moment or "")
        if at is not None:
            t = totals[at]
            t[0], t[1], t[2] = t[0] + r.kept, t[1] + r.broken, t[2] + r.open
    cells = {}
    for moment, (kept, broken, open_) in totals.items():
        rate = kept / (kept + broken) if kept + broken else None
        cells[moment] = RowCell(((N_("Compliance"), pct(rate)), (N_("Kept"), str(kept)), (N_("Not kept"), str(broken)),
                                 (N_("Open"), str(open_))), "broken_promises" if broken else None)
    return cells


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def emotion_row(session: Session, ctx: MapContext) -> dict[str, RowCell]:
    start, _ = _period(ctx)
    found = listening_indicators.listening_indicators(session, ctx.org_id, ctx.service.key, since=start)
    placed = _placed(session, ctx)
    cells: dict[str, RowCell] = {}
    for m in found.moments:
        at = placed.get(m.moment)
        if at is None or at in cells or not m.scores.answers:
            continue
        s = m.scores
        parts = [(N_("Answers"), str(s.answers))]
        if s.csat is not None:
            parts.append((N_("CSAT (1–5)"), _num(s.csat)))
        if s.nps is not None:
            parts.append((N_("NPS"), f"{s.nps:+.0f}"))
        if s.sentiment is not None:
            parts.append((N_("Sentiment (−1 to 1)"), f"{s.sentiment:+.2f}"))
        if m.emotion is not None:
            parts.append((N_("Emotion (−1 to 1)"), f"{m.emotion:+.2f}"))
        cells[at] = RowCell(tuple(parts))
    return cells


def needs_row(session: Session, ctx: MapContext) -> dict[str, RowCell]:
    now = utcnow()
    if ctx.filters.end is not None:
        now = min(now, datetime.combine(ctx.filters.end + timedelta(days=1), time(), tzinfo=UTC))
    placed = _placed(session, ctx)
    per_moment: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for need in needs.ranked(session, ctx.org_id, now, service_id=ctx.service.id):
        for moment in need.moments:
            at = placed.get(moment)
            if at is not None and len(per_moment[at]) < NEEDS_PER_MOMENT and \
                    all(v != (need.name or need.label) for _, v in per_moment[at]):
                per_moment[at].append((N_("Need"), need.name or need.label))
    return {m: RowCell(tuple(parts)) for m, parts in per_moment.items()}


def broken_promise_alerts(session: Session, org_id: int) -> list[Alert]:
    """One alert per service with promises broken in the last 7 days: every one of them counted, with how many are
    still owed."""
    counts = promise_indicators.broken_by_service(session, org_id, utcnow() - ALERT_WINDOW)
    services = {s.id: s for s in catalog.list_services(session, org_id)}
    return [Alert("broken_promises", N_("Promises not kept (last 7 days)"), n, f"/services/{services[sid].key}/map",
                  service=services[sid], owed=owed)
            for sid, (n, owed) in sorted(counts.items()) if sid in services and n]


def early_warning_alerts(session: Session, org_id: int) -> list[Alert]:
    """One alert per early-warning episode of the last 24 hours, each mention counted once
    (``warning.episodes.shown_episodes``); each opens its own page."""
    services = {s.id: s for s in catalog.list_services(session, org_id)}
    return [Alert("early_warning", N_("Spike of negative comments (early warning, last 24 hours)"), e.negatives,
                  f"/alerts/{e.episode.id}", service=services.get(e.episode.service_id or 0),
                  started_at=e.episode.started_at)
            for e in episodes.shown_episodes(session, org_id, utcnow() - WARNING_WINDOW)]


def map_rows() -> dict[str, RowSource]:
    """The journey map's extra rows, by key (see ``journey_map.EXTRA_ROWS``)."""
    return {"promises": promises_row, "emotion": emotion_row, "needs": needs_row}


def alert_sources() -> tuple[AlertSource, ...]:
    """The overview's alert sources beyond the outbox."""
    return (broken_promise_alerts, early_warning_alerts)
