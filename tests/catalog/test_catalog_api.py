from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import OrgHandle

BANK = {"key": "bank", "name_es": "Banco en línea", "name_en": "Online bank",
        "assessment": {"presence": "none", "participation": "none", "duration": "short", "people": "none"}}


def test_service_gets_its_level_with_reasons_and_an_override_needs_a_reason(client: TestClient,
                                                                           org: OrgHandle) -> None:
    r = client.post("/api/v1/services", headers=org.admin, json=BANK)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["contact_level"], body["level"]["assessed_level"]) == ("low", "low")
    assert body["level"]["reasons"][0]["effect"] == "lowers"
    r = client.patch("/api/v1/services/bank", headers=org.admin, json={"level_override": "medium"})
    assert (r.status_code, r.json()["code"]) == (422, "override_reason_required")
    r = client.patch("/api/v1/services/bank", headers=org.admin,
                     json={"level_override": "medium", "override_reason": "Branch advisors call every client"})
    assert r.json()["contact_level"] == "medium" and r.json()["level"]["assessed_level"] == "low"
    r = client.patch("/api/v1/services/bank", headers=org.admin, json={"clear_override": True})
    assert r.json()["contact_level"] == "low" and r.json()["level"]["override"] is None


def test_touchpoint_intensity_defaults_from_level_and_activity_clash_is_refused(client: TestClient,
                                                                                org: OrgHandle) -> None:
    client.post("/api/v1/services", headers=org.admin, json=BANK)
    tp = {"moment": "use", "channel": "app", "activities": ["transfer_made"], "initiator": "customer"}
    r = client.post("/api/v1/services/bank/touchpoints", headers=org.admin, json=tp)
    assert r.status_code == 201
    assert (r.json()["intensity"], r.json()["intensity_is_default"]) == ("none", True)
    r = client.post("/api/v1/services/bank/touchpoints", headers=org.admin,
                    json={**tp, "moment": "support", "channel": "phone"})
    assert (r.status_code, r.json()["code"]) == (409, "activity_clash")
    r = client.post("/api/v1/services/bank/touchpoints", headers=org.admin, json={**tp, "moment": "nowhere"})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_moment")


def test_duplicate_service_key_is_409(client: TestClient, org: OrgHandle) -> None:
    assert client.post("/api/v1/services", headers=org.admin, json=BANK).status_code == 201
    r = client.post("/api/v1/services", headers=org.admin, json=BANK)
    assert (r.status_code, r.json()["code"]) == (409, "service_exists")


def test_custom_journey_model_and_service_on_a_preset(client: TestClient, org: OrgHandle) -> None:
    r = client.post("/api/v1/journey-models", headers=org.admin, json={
        "key": "claims", "name_es": "Siniestros", "name_en": "Claims", "moments": [
            {"key": "report", "name_es": "Parte", "name_en": "Report", "maps_to": ["support"]},
            {"key": "settle", "name_es": "Liquidación", "name_en": "Settlement", "maps_to": ["loyalty"]}]})
    assert r.status_code == 201
    r = client.post("/api/v1/journey-models", headers=org.admin, json={
        "key": "bad", "name_es": "x", "name_en": "x", "moments": [
            {"key": "a", "name_es": "a", "name_en": "a", "maps_to": ["nowhere"]},
            {"key": "b", "name_es": "b", "name_en": "b"}]})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_moment")
    keys = [m["key"] for m in client.get("/api/v1/journey-models", headers=org.admin).json()]
    assert keys[:4] == ["contact-moments-8", "purchase-decision-5", "buyer-experience-6", "moments-of-truth-5"]
    assert "claims" in keys
    r = client.post("/api/v1/services", headers=org.admin, json={**BANK, "key": "mot",
                                                                 "journey_model": "moments-of-truth-5"})
    assert r.json()["journey_model"] == "moments-of-truth-5"
    r = client.post("/api/v1/services/mot/touchpoints", headers=org.admin,
                    json={"moment": "fmot", "channel": "web", "activities": ["paid"], "initiator": "customer"})
    assert r.status_code == 201 and r.json()["intensity"] == "proactive"  # low level: purchase is proactive
