"""GET /api/v1/analytics/conformance: a service's conformance as JSON, the same before and after a refresh."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.analytics import incremental
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def test_conformance_counts_a_skipped_moment_and_an_unplanned_contact(db: Session, client: TestClient,
                                                                     org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    send(db, org.id,
         event("ana", "ad_clicked", 0, process="p1", service="shop"),
         event("ana", "signed_up", 10, process="p1", service="shop"),
         event("ben", "ad_clicked", 0, process="p2", service="shop"),
         event("ben", "product_viewed", 10, process="p2", service="shop"),  # first contact skipped
         event("ben", "chat", 20, process="p2", service="shop", channel="whatsapp"))  # no touchpoint plans it
    for refresh in (False, True):
        if refresh:
            incremental.catch_up(db, org.id)
        r = client.get("/api/v1/analytics/conformance", params={"service": "shop"}, headers=org.admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["processes"], body["conforming"], body["rate"]) == (2, 1, 0.5)
        rows = {(d["kind"], d["moment"], d["channel"]): (d["processes"], d["deviations"]) for d in body["deviations"]}
        assert rows[("skipped", "first_contact", "*")] == (1, 1)
        assert rows[("unplanned", "consideration", "whatsapp")] == (1, 1)
        moments = {m["moment"]: (m["processes"], m["conforming"]) for m in body["moments"]}
        assert moments["first_contact"] == (2, 1) and moments["awareness"] == (2, 2)


def test_conformance_of_an_unknown_service_is_404(client: TestClient, org: OrgHandle) -> None:
    r = client.get("/api/v1/analytics/conformance", params={"service": "nope"}, headers=org.admin)
    assert r.status_code == 404 and r.json()["code"]
