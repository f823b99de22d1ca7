"""The analytics routes: admin key only, scoped to the caller's organization, same figures as the services."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from tests.analytics.scenario import load_shop
from tests.conftest import OrgHandle

BASE = "/api/v1/analytics"


def test_routes_return_the_service_figures_as_json(client: TestClient, db: Session, org: OrgHandle) -> None:
    load_shop(db, org.id)
    r = client.get(f"{BASE}/dfg", headers=org.admin, params={"service": "shop"})
    assert r.status_code == 200, r.text
    assert r.json() == [e.model_dump() for e in analytics.dfg(db, org.id, AnalyticsQuery(service="shop"))]
    assert set(r.json()[0]) == {"source", "target", "frequency"}

    perf = client.get(f"{BASE}/performance-dfg", headers=org.admin, params={"by": "moment"}).json()
    assert {"source": "awareness", "target": "first_contact", "frequency": 2, "mean_s": 900.0,
            "median_s": 900.0} in perf
    variants = client.get(f"{BASE}/variants", headers=org.admin, params={"by": "moment", "limit": 2}).json()
    assert len(variants) == 2 and set(variants[0]) == {"variant", "count", "share"}
    funnel = client.get(f"{BASE}/funnel", headers=org.admin, params={"service": "shop"}).json()
    assert [s["reached"] for s in funnel] == [3, 3, 3, 1, 1, 0, 0, 0]
    times = client.get(f"{BASE}/time-in-moment", headers=org.admin, params={"service": "shop"}).json()
    assert times[0]["median_s"] == 1200.0
    ends = client.get(f"{BASE}/start-end", headers=org.admin, params={"from": "2026-03-02T09:15:00Z"}).json()
    assert ends["start"] == {"product_viewed": 2, "signed_up": 1}
    full = client.get(f"{BASE}/indicators", headers=org.admin, params={"service": "shop"}).json()
    assert full["model"] == "contact-moments-8" and full["contacts"][4]["over_budget"] == 1


def test_routes_need_an_admin_key(client: TestClient, org: OrgHandle) -> None:
    assert client.get(f"{BASE}/dfg").status_code == 401
    r = client.get(f"{BASE}/dfg", headers=org.writer)
    assert (r.status_code, r.json()["code"]) == (403, "admin_key_required")


def test_another_organization_sees_nothing_of_this_one(client: TestClient, db: Session, org: OrgHandle,
                                                       other_org: OrgHandle) -> None:
    load_shop(db, org.id)
    r = client.get(f"{BASE}/funnel", headers=other_org.admin, params={"service": "shop"})
    assert (r.status_code, r.json()["code"]) == (404, "service_not_found")
    assert client.get(f"{BASE}/dfg", headers=other_org.admin).json() == []
    assert client.get(f"{BASE}/variants", headers=other_org.admin, params={"by": "moment"}).json() == []


def test_bad_parameters_are_a_validation_error(client: TestClient, org: OrgHandle) -> None:
    r = client.get(f"{BASE}/dfg", headers=org.admin, params={"by": "colour"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = client.get(f"{BASE}/dfg", headers=org.admin, params={"from": "yesterday"})
    assert r.status_code == 422
