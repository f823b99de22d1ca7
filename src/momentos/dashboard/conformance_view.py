"""The conformance page of a service: its overall rate, the rate per moment and the deviation kinds by impact (how
many processes each touches), each with its moments and channels — shaped from ``analytics.conformance``.

Not kept in the view cache: the design depends on the promises too, whose changes do not move the cache's data
version (the stored counters answer quickly anyway)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.conformance import ANY
from momentos.analytics.schemas import ConformanceRead, MomentConformance
from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.models import Service


@dataclass(frozen=True)
class KindAt:
    """Where a deviation kind happened: a moment (or a channel) and the processes it touched there."""

    key: str
    processes: int
    share: float | None


@dataclass(frozen=True)
class KindImpact:
    kind: str
    processes: int
    deviations: int
    share: float | None
    """Of the service's processes."""
    moments: list[KindAt]
    channels: list[KindAt]


@dataclass(frozen=True)
class ConformanceView:
    service: Service
    model: JourneyModelDef
    read: ConformanceRead
    moments: list[MomentConformance]
    kinds: list[KindImpact]
    """Most processes first."""


def conformance_view(session: Session, org_id: int, service_key: str) -> ConformanceView:
    service = catalog.get_service(session, org_id, service_key)
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    read = analytics.conformance(session, org_id, service.key)
    return ConformanceView(service, model, read, read.moments, kinds(read))


def kinds(read: ConformanceRead) -> list[KindImpact]:
    out = []
    for total in (d for d in read.deviations if d.moment == ANY and d.channel == ANY):
        same = [d for d in read.deviations if d.kind == total.kind]
        moments = sorted((KindAt(d.moment, d.processes, d.share) for d in same
                          if d.moment != ANY and d.channel == ANY), key=lambda x: -x.processes)
        channels = sorted((KindAt(d.channel, d.processes, d.share) for d in same
                           if d.moment == ANY and d.channel != ANY), key=lambda x: (-x.processes, x.key))
        out.append(KindImpact(total.kind, total.processes, total.deviations, total.share, moments, channels))
    out.sort(key=lambda k: (-k.processes, k.kind))
    return out
