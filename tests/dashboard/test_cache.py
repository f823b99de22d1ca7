"""The view cache answers from memory only while the organization's data is unchanged."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.dashboard import journey_map
from momentos.dashboard.cache import ViewCache, data_version
from momentos.dashboard.filters import MapFilters
from momentos.dashboard.sources import map_rows
from momentos.privacy.service import erase_customer
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def _reached(db: Session, org: OrgHandle, cache: ViewCache) -> dict[str, float | None]:
    m = journey_map.journey_map(db, org.id, "shop", MapFilters(), cache, rows=map_rows())
    return {c.moment.key: c.reached.value for c in m.columns}


def test_new_events_a_catalog_change_or_an_erasure_give_a_new_answer(db: Session, org: OrgHandle,
                                                                     other_org: OrgHandle) -> None:
    make_service(db, org.id)
    make_service(db, other_org.id)
    send(db, org.id, event("ana", "ad_clicked", 0), event("ana", "order_placed", 5))
    cache = ViewCache()
    first = _reached(db, org, cache)
    assert first["purchase"] == 1 and _reached(db, org, cache) == first
    assert (cache.hits, cache.misses) == (2, 2)  # the indicators and the processes-now counts
    send(db, other_org.id, event("zed", "order_placed", 1))  # another organization's data: still a hit
    assert _reached(db, org, cache) == first and cache.hits == 4
    version = data_version(db, org.id)
    send(db, org.id, event("bea", "order_placed", 7))
    assert data_version(db, org.id) != version
    assert _reached(db, org, cache)["purchase"] == 2
    erase_customer(db, org.id, "bea")
    assert _reached(db, org, cache)["purchase"] == 1
    assert cache.misses == 6
