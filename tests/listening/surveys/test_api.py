"""The survey API: definitions are checked, invitations go through the policy (and say what it decided), answers
through the API are idempotent by external id and land in the indicators."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from tests.conftest import OrgHandle
from tests.factories import make_service
from tests.listening.helpers import QUESTIONS, opted_in

SURVEY = {"key": "after-use", "title_es": "Tu experiencia", "title_en": "Your experience", "service": "shop",
          "moment": "delivery", "questions": QUESTIONS}


def test_survey_definitions_are_checked(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    r = client.post("/api/v1/surveys", json=SURVEY, headers=org.admin)
    assert r.status_code == 201 and r.json()["moment"] == "delivery", r.text
    assert client.post("/api/v1/surveys", json=SURVEY, headers=org.admin).status_code == 409
    for bad in ({**SURVEY, "key": "b", "moment": "nowhere"}, {**SURVEY, "key": "c", "moment": None},
                {**SURVEY, "key": "d", "questions": [*QUESTIONS, QUESTIONS[0]]},
                {**SURVEY, "key": "e", "questions": []}):
        r = client.post("/api/v1/surveys", json=bad, headers=org.admin)
        assert r.status_code == 422, (bad, r.text)
    assert client.post("/api/v1/surveys", json=SURVEY, headers=org.writer).status_code == 403
    assert [s["key"] for s in client.get("/api/v1/surveys", headers=org.admin).json()] == ["after-use"]


def test_invite_and_answer_through_the_api(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    assert client.post("/api/v1/surveys", json=SURVEY, headers=org.admin).status_code == 201
    opted_in(db, org.id, "ana", email="ana@example.com", now=utcnow())
    r = client.post("/api/v1/surveys/after-use/invitations", json={"customer": "ana", "dedup_key": "k1"},
                    headers=org.admin)
    assert r.status_code == 202 and r.json()["notification_status"] == "pending", r.text
    again = client.post("/api/v1/surveys/after-use/invitations", json={"customer": "ana", "dedup_key": "k1"},
                        headers=org.admin)
    assert again.json()["id"] == r.json()["id"]  # the same key: the same invitation
    answer = {"customer": "ana", "external_id": "crm-1", "nps": 4, "csat": 2, "text": "Lento"}
    first = client.post("/api/v1/surveys/after-use/responses", json=answer, headers=org.writer)
    assert first.status_code == 201, first.text
    second = client.post("/api/v1/surveys/after-use/responses", json={**answer, "nps": 7}, headers=org.writer)
    assert second.json()["id"] == first.json()["id"] and second.json()["nps"] == 7
    bad = client.post("/api/v1/surveys/after-use/responses", json={"nps": 11}, headers=org.writer)
    assert bad.status_code == 422
    use = next(m for m in client.get("/api/v1/listening/indicators", params={"service": "shop"},
                                     headers=org.admin).json()["moments"] if m["moment"] == "delivery")
    assert use["scores"]["answers"] == 1 and use["scores"]["nps"] == 0.0  # one passive (7): NPS 0
