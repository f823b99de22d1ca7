"""The segments API: define, read, change, remove; members count and preview; errors in the one JSON format."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from tests.conftest import OrgHandle
from tests.factories import T0

BODY = {"key": "premium", "name_es": "Premium", "name_en": "Premium",
        "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]}


def _customers(db: Session, org_id: int) -> None:
    for who, plan in (("ana", "premium"), ("bea", "basic"), ("carla", "premium"), ("dani", "premium")):
        identify(db, org_id, IdentifyIn(customer=who, timestamp=T0, traits={"plan": plan, "name": who.title()}))


def test_crud_and_members(db: Session, client: TestClient, org: OrgHandle) -> None:
    _customers(db, org.id)
    r = client.post("/api/v1/segments", json=BODY, headers=org.admin)
    assert r.status_code == 201, r.text
    assert r.json()["rule"] == [{"field": "traits.plan", "op": "eq", "value": "premium"}]
    assert [s["key"] for s in client.get("/api/v1/segments", headers=org.admin).json()] == ["premium"]
    r = client.get("/api/v1/segments/premium/members", params={"limit": 2}, headers=org.admin)
    assert r.json() == {"key": "premium", "count": 3, "members": [{"external_id": "ana", "name": "Ana"},
                                                                 {"external_id": "carla", "name": "Carla"}]}
    r = client.patch("/api/v1/segments/premium", headers=org.admin, json={
        "name_en": "Basic", "rule": [{"field": "traits.plan", "op": "in", "value": ["basic"]}]})
    assert r.status_code == 200 and r.json()["name_es"] == "Premium" and r.json()["name_en"] == "Basic"
    assert client.get("/api/v1/segments/premium/members", headers=org.admin).json()["count"] == 1
    assert client.get("/api/v1/segments/premium", headers=org.admin).json()["rule"][0]["op"] == "in"
    assert client.delete("/api/v1/segments/premium", headers=org.admin).status_code == 204
    r = client.get("/api/v1/segments/premium", headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (404, "segment_not_found")


def test_bad_rules_get_422_with_the_reason(client: TestClient, org: OrgHandle) -> None:
    for rule, reason in (([{"field": "traits.age", "op": "gt", "value": "old"}], "gt takes a number"),
                         ([{"field": "plan", "op": "eq", "value": "x"}], "pattern"),
                         ([{"field": "language", "op": "gt", "value": 3}], "compares numbers"),
                         ([], "at least 1")):
        r = client.post("/api/v1/segments", json={**BODY, "rule": rule}, headers=org.admin)
        assert r.status_code == 422, r.text
        body = r.json()
        assert set(body) == {"code", "message", "detail"} and body["code"] == "validation_error"
        assert reason in str(body["detail"]), (reason, body)
    r = client.patch("/api/v1/segments/nope", json={"name_en": "x"}, headers=org.admin)
    assert r.status_code == 404
    assert client.post("/api/v1/segments", json=BODY, headers=org.admin).status_code == 201
    r = client.post("/api/v1/segments", json=BODY, headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (409, "segment_exists")
    r = client.patch("/api/v1/segments/premium", json={"rule": [{"field": "traits.x", "op": "exists", "value": 1}]},
                     headers=org.admin)
    assert r.status_code == 422
    r = client.get("/api/v1/analytics/funnel", params={"segment": "nope"}, headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (404, "segment_not_found")


def test_write_key_may_not_define_segments(client: TestClient, org: OrgHandle) -> None:
    r = client.post("/api/v1/segments", json=BODY, headers=org.writer)
    assert r.status_code == 403
