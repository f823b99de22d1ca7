"""A small in-process cache of computed views, keyed by the organization's data version.

The analytics views read the whole event log of a service; while no event arrives and the catalog does not change,
the answer cannot change either. The data version is the organization's catalog version, its newest event id and
its number of erased identities (an erasure deletes events) — three indexed lookups — so a cached answer is never
stale: the first request after any change recomputes. One cache per app (``app.state``); each server process keeps
its own, bounded (least recently used entries go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.models import ErasedIdentity, Event, Organization

T = TypeVar("T")
DataVersion = tuple[str, int, int]


def read_instant() -> datetime:
    """The instant moment outcomes are read at (analytics/outcomes.py), to the minute: whether a process is still
    within a moment's usual time changes with time as well as with data, so it is part of their cache keys."""
    return utcnow().replace(second=0, microsecond=0)


def segment_version(session: Session, org_id: int, segment: str | None) -> Hashable:
    """Part of a cache key for answers filtered by a segment: its key and what its membership depends on (the
    rule and the customers' traits, which change without any event). None without a segment; an unknown segment
    raises NotFound."""
    if segment is None:
        return None
    from momentos.segments import service as segments

    return segment, segments.membership_version(session, org_id, segment)


def data_version(session: Session, org_id: int) -> DataVersion:
    catalog = session.scalar(select(Organization.catalog_version).where(Organization.id == org_id)) or ""
    newest = session.scalar(select(func.max(Event.id)).where(Event.org_id == org_id)) or 0
    erased = session.scalar(select(func.count()).select_from(ErasedIdentity).where(
        ErasedIdentity.org_id == org_id)) or 0
    return str(catalog), int(newest), int(erased)


class ViewCache:
    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, session: Session, org_id: int, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached answer for (organization, key) at the current data version, computing it when missing."""
        full = (org_id, key, data_version(session, org_id))
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                self.hits += 1
                return self._items[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self.misses += 1
            self._items[full] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def cached(cache: ViewCache | None, session: Session, org_id: int, key: Hashable, compute: Callable[[], T]) -> T:
    return compute() if cache is None else cache.get(session, org_id, key, compute)
