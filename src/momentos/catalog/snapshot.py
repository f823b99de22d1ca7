"""A typed, read-only snapshot of one organization's catalog, as ingestion and the reactions to stored events need it:
its services, their journey models, the touchpoint rules and which services an activity belongs to.

A snapshot is cached per (organization, catalog version). The version is a random token renewed by
:func:`momentos.catalog.service.catalog_changed` on every change to services, touchpoints and journey models, and
also on every change to what the reactions derive from the catalog (surveys, promise definitions): so a domain that
derives facts from a snapshot keeps them in its own :class:`Derived` cache, keyed the same way, and they are
renewed together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog.presets import JourneyModelDef
from momentos.catalog.service import get_journey_model
from momentos.models import Organization, Service, Touchpoint

T = TypeVar("T")
CACHE_MAX = 256
"""Organizations (× versions) kept per cache; past that the cache starts over."""


@dataclass(frozen=True)
class Rule:
    """Where a touchpoint's activity goes: its moment, channel and initiator."""

    moment: str
    channel: str
    initiator: str


@dataclass(frozen=True)
class TouchpointRule:
    """One touchpoint, as the reactions read it."""

    service_id: int
    moment: str
    channel: str
    initiator: str
    contact_needed: bool
    activities: tuple[str, ...]


@dataclass(frozen=True)
class CatalogSnapshot:
    org_id: int
    version: str
    """The organization's catalog version when the snapshot was read (part of every cache key)."""
    services: Mapping[str, int]
    """Service key → id."""
    models: Mapping[int, JourneyModelDef]
    """Service id → its journey model."""
    rules: Mapping[tuple[int, str], Rule]
    """(service id, activity) → the first touchpoint's rule for it."""
    activity_services: Mapping[str, frozenset[int]]
    """Activity → the services whose touchpoints name it."""
    touchpoints: tuple[TouchpointRule, ...]
    """Every touchpoint, in id order."""

    @property
    def key(self) -> tuple[int, str]:
        return self.org_id, self.version


class Derived(Generic[T]):
    """What one domain derives from an organization's catalog, built once per (organization, catalog version).

    Concurrent first calls may both build the value; the last one is kept (both are equal)."""

    def __init__(self, build: Callable[[Session, CatalogSnapshot], T]) -> None:
        self._build = build
        self._values: dict[tuple[int, str], T] = {}

    def get(self, session: Session, snapshot: CatalogSnapshot) -> T:
        value = self._values.get(snapshot.key)
        if value is None:
            value = self._build(session, snapshot)
            if len(self._values) >= CACHE_MAX:
                self._values.clear()
            self._values[snapshot.key] = value
        return value


_CACHE: dict[tuple[int, str], CatalogSnapshot] = {}


def load(session: Session, org_id: int) -> CatalogSnapshot:
    """The organization's catalog snapshot, cached by its catalog version."""
    version = session.scalar(select(Organization.catalog_version).where(Organization.id == org_id)) or ""
    cached = _CACHE.get((org_id, version))
    if cached is not None:
        return cached
    snapshot = _read(session, org_id, version)
    if len(_CACHE) >= CACHE_MAX:
        _CACHE.clear()
    _CACHE[(org_id, version)] = snapshot
    return snapshot


def _read(session: Session, org_id: int, version: str) -> CatalogSnapshot:
    services: dict[str, int] = {}
    models: dict[int, JourneyModelDef] = {}
    for sid, key, model_key in session.execute(
            select(Service.id, Service.key, Service.journey_model_key).where(Service.org_id == org_id)):
        services[key] = sid
        models[sid] = get_journey_model(session, org_id, model_key)
    rules: dict[tuple[int, str], Rule] = {}
    activity_services: dict[str, set[int]] = {}
    touchpoints: list[TouchpointRule] = []
    for tp in session.scalars(select(Touchpoint).where(Touchpoint.org_id == org_id).order_by(Touchpoint.id)):
        touchpoints.append(TouchpointRule(tp.service_id, tp.moment, tp.channel, tp.initiator, tp.contact_needed,
                                          tuple(tp.activities)))
        for activity in tp.activities:
            rules.setdefault((tp.service_id, activity), Rule(tp.moment, tp.channel, tp.initiator))
            activity_services.setdefault(activity, set()).add(tp.service_id)
    return CatalogSnapshot(org_id, version, services, models, rules,
                           {activity: frozenset(sids) for activity, sids in activity_services.items()},
                           tuple(touchpoints))
