"""The organization's overview: each service with its contact level, its funnel (reach and outcome per
moment of its journey model) and its promise compliance, plus the active alerts and the top needs. Alert sources
other than the outbox (broken promises, crisis early warning) are handed in by the caller (wired by ``bootstrap``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery, FunnelStep
from momentos.catalog import service as catalog
from momentos.catalog.contact_levels import LevelResult
from momentos.catalog.presets import JourneyModelDef
from momentos.dashboard.cache import ViewCache, cached, read_instant
from momentos.kit.clock import utcnow
from momentos.kit.i18n import N_
from momentos.listening.needs import service as needs
from momentos.listening.needs.schemas import NeedRead
from momentos.models import Notification, Service
from momentos.processes import service as processes
from momentos.promises import indicators as promise_indicators
from momentos.promises.schemas import IndicatorRow

TOP_NEEDS = 5


@dataclass(frozen=True)
class Alert:
    """Something that needs attention now: a message id with its count, and where to look. An alert of one service
    names it (``service``); one of the whole organization has none."""

    kind: str
    message: str
    count: int
    href: str
    service: Service | None = None
    started_at: datetime | None = None
    """When the episode began (early warning)."""
    owed: int | None = None
    """Of ``count``, how many are still owed to the customer (broken promises not yet put right)."""


@dataclass(frozen=True)
class ServiceSummary:
    service: Service
    level: LevelResult
    model: JourneyModelDef
    processes: int
    customers: int
    funnel: list[FunnelStep]
    promises: IndicatorRow | None = None
    """Compliance of the service's promises over all time (None: no promise instance yet)."""


AlertSource = Callable[[Session, int], list[Alert]]
"""An alert source other than the outbox (promises: broken promises; listening: negative-mention spikes): returns
the organization's active alerts. Built by ``bootstrap`` (``dashboard.sources.alert_sources``)."""


def dead_notifications(session: Session, org_id: int) -> list[Alert]:
    count = int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.org_id == org_id, Notification.status == "dead")) or 0)
    return [Alert("dead_notifications", N_("Notifications that could not be delivered"), count,
                  "/ops?status=dead")] if count else []


def alerts(session: Session, org_id: int, sources: Sequence[AlertSource]) -> list[Alert]:
    """Every active alert once: alerts that would read the same (kind, service, link, start) are one line with
    their counts added."""
    found = dead_notifications(session, org_id)
    for source in sources:
        found.extend(source(session, org_id))
    merged: dict[tuple[object, ...], Alert] = {}
    for a in found:
        key = (a.kind, a.service.id if a.service else None, a.href, a.started_at)
        if key in merged:
            m = merged[key]
            owed = None if m.owed is None and a.owed is None else (m.owed or 0) + (a.owed or 0)
            merged[key] = replace(m, count=m.count + a.count, owed=owed)
        else:
            merged[key] = a
    return list(merged.values())


def summaries(session: Session, org_id: int, cache: ViewCache | None = None) -> list[ServiceSummary]:
    figures = cached(cache, session, org_id, "service_figures",
                     partial(processes.count_by_service, session, org_id))
    compliance = {r.service: r for r in promise_indicators.compliance(session, org_id, by="service", period="all")}
    out = []
    for s in catalog.list_services(session, org_id):
        model = catalog.get_journey_model(session, org_id, s.journey_model_key)
        q = AnalyticsQuery(service=s.key, by="moment")
        now = read_instant()
        steps = cached(cache, session, org_id, ("funnel", q.model_dump_json(), now),
                       partial(analytics.funnel, session, org_id, q, now=now))
        f = figures.get(s.id, processes.ServiceFigures())
        out.append(ServiceSummary(s, catalog.explain_level(s), model, f.processes, f.customers, steps,
                                  compliance.get(s.key)))
    return out


def top_needs(session: Session, org_id: int, limit: int = TOP_NEEDS) -> list[NeedRead]:
    return needs.ranked(session, org_id, utcnow(), limit=limit)
