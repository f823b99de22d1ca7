"""Which service, moment, channel and initiator an incoming event belongs to, from the touchpoint rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog.presets import CONTACT_MOMENTS_8, JourneyModelDef
from momentos.catalog.service import get_journey_model
from momentos.events.schemas import EventIn
from momentos.models import Organization, Service, Touchpoint


@dataclass(frozen=True)
class Rule:
    moment: str
    channel: str
    initiator: str


@dataclass(frozen=True)
class Routed:
    service_id: int | None
    moment: str | None
    channel: str
    initiator: str

T = TypeVar("T")


@dataclass
class Routing:
    services: dict[str, int] = field(default_factory=dict)
    models: dict[int, JourneyModelDef] = field(default_factory=dict)
    rules: dict[tuple[int, str], Rule] = field(default_factory=dict)
    """(service id, activity) → rule."""
    activity_services: dict[str, set[int]] = field(default_factory=dict)
    notice_moments: set[tuple[int, str]] = field(default_factory=set)
    """(service id, moment) where entering the moment needs a company-started contact (a status notice)."""
    derived: dict[str, Any] = field(default_factory=dict)
    """What other domains derive from the catalog for ingestion (promise sets, survey triggers): kept here, so it is
    renewed with the catalog version like the rest of the routing."""

    def derive(self, name: str, build: Callable[[], T]) -> T:
        """The value ``build`` makes, made once per routing object (concurrent first calls may both build it)."""
        if name not in self.derived:
            self.derived[name] = build()
        return cast(T, self.derived[name])


class RoutingError(Exception):
    def __init__(self, code: str, message: str, detail: dict[str, object]) -> None:
        super().__init__(message)
        self.code, self.message, self.detail = code, message, detail


_CACHE: dict[tuple[int, str], Routing] = {}
_CACHE_MAX = 256


def load(session: Session, org_id: int) -> Routing:
    """The organization's routing rules, cached by its catalog version (a random token renewed on change)."""
    version = session.scalar(select(Organization.catalog_version).where(Organization.id == org_id)) or ""
    cached = _CACHE.get((org_id, version))
    if cached is not None:
        return cached
    routing = _build(session, org_id)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[(org_id, version)] = routing
    return routing


def _build(session: Session, org_id: int) -> Routing:
    routing = Routing()
    for sid, key, model_key in session.execute(
            select(Service.id, Service.key, Service.journey_model_key).where(Service.org_id == org_id)):
        routing.services[key] = sid
        routing.models[sid] = get_journey_model(session, org_id, model_key)
    for tp in session.scalars(select(Touchpoint).where(Touchpoint.org_id == org_id).order_by(Touchpoint.id)):
        if tp.initiator == "company" and tp.contact_needed:
            routing.notice_moments.add((tp.service_id, tp.moment))
        for activity in tp.activities:
            routing.rules.setdefault((tp.service_id, activity), Rule(tp.moment, tp.channel, tp.initiator))
            routing.activity_services.setdefault(activity, set()).add(tp.service_id)
    return routing


def route(routing: Routing, e: EventIn) -> Routed:
    """Resolve the event; raises RoutingError for an unknown service or moment."""
    sid: int | None
    if e.service is not None:
        if e.service not in routing.services:
            raise RoutingError("unknown_service", f"Unknown service '{e.service}'.", {"service": e.service})
        sid = routing.services[e.service]
    else:
        candidates = routing.activity_services.get(e.activity, set())
        if len(candidates) == 1:
            sid = next(iter(candidates))
        elif len(routing.services) == 1:
            sid = next(iter(routing.services.values()))
        else:
            sid = None
    rule = routing.rules.get((sid, e.activity)) if sid is not None else None
    model = routing.models[sid] if sid is not None else CONTACT_MOMENTS_8
    moment = e.moment if e.moment is not None else (rule.moment if rule else None)
    if moment is not None and not model.has(moment):
        raise RoutingError("unknown_moment", f"Unknown moment '{moment}' for journey model '{model.key}'.",
                           {"moment": moment, "model": model.key, "moments": model.keys})
    channel = e.channel or (rule.channel if rule else _default_channel(e.type))
    initiator = e.initiator or (rule.initiator if rule else "customer")
    return Routed(sid, moment, channel, initiator)


def _default_channel(event_type: str) -> str:
    return {"page": "web", "screen": "app"}.get(event_type, "other")
