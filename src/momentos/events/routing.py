"""Which service, moment, channel and initiator an incoming event belongs to, from the touchpoint rules of the
organization's catalog snapshot (:mod:`momentos.catalog.snapshot`)."""

from __future__ import annotations

from dataclasses import dataclass

from momentos.catalog.presets import CONTACT_MOMENTS_8
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.events.schemas import EventIn


@dataclass(frozen=True)
class Routed:
    service_id: int | None
    moment: str | None
    channel: str
    initiator: str


class RoutingError(Exception):
    def __init__(self, code: str, message: str, detail: dict[str, object]) -> None:
        super().__init__(message)
        self.code, self.message, self.detail = code, message, detail


def route(snapshot: CatalogSnapshot, e: EventIn) -> Routed:
    """Resolve the event; raises RoutingError for an unknown service or moment."""
    sid: int | None
    if e.service is not None:
        if e.service not in snapshot.services:
            raise RoutingError("unknown_service", f"Unknown service '{e.service}'.", {"service": e.service})
        sid = snapshot.services[e.service]
    else:
        candidates = snapshot.activity_services.get(e.activity, frozenset())
        if len(candidates) == 1:
            sid = next(iter(candidates))
        elif len(snapshot.services) == 1:
            sid = next(iter(snapshot.services.values()))
        else:
            sid = None
    rule = snapshot.rules.get((sid, e.activity)) if sid is not None else None
    model = snapshot.models[sid] if sid is not None else CONTACT_MOMENTS_8
    moment = e.moment if e.moment is not None else (rule.moment if rule else None)
    if moment is not None and not model.has(moment):
        raise RoutingError("unknown_moment", f"Unknown moment '{moment}' for journey model '{model.key}'.",
                           {"moment": moment, "model": model.key, "moments": model.keys})
    channel = e.channel or (rule.channel if rule else _default_channel(e.type))
    initiator = e.initiator or (rule.initiator if rule else "customer")
    return Routed(sid, moment, channel, initiator)


def _default_channel(event_type: str) -> str:
    return {"page": "web", "screen": "app"}.get(event_type, "other")
