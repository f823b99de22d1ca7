"""The promise API: define, list, read, retire, score against past events, instances, indicators; and the status
page showing the promises with their due dates."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.notify.status_tokens import ensure_token
from momentos.promises import clock
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service
from tests.promises.helpers import SHIP_RULE, instances, send_at

BODY = {"key": "two-days", "service": "shop", "moment": "purchase", "kind": "time",
        "text": {"es": "Tu pedido llega en 2 días", "en": "Your order arrives within 2 days"},
        "rule": SHIP_RULE, "staff": {"email": "ops@example.com"}}
NOW = T0 + timedelta(minutes=1)


def _orders(db: Session, org_id: int) -> None:
    send_at(db, org_id, NOW, event("ana", "order_placed"), event("ana", "order_delivered", 60 * 20),
            event("bea", "order_placed"), event("bea", "order_delivered", 60 * 50), event("eva", "order_placed"))


def test_define_list_read_and_retire(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post("/api/v1/promises", json=BODY, headers=org.admin)
    assert r.status_code == 201, r.text
    assert r.json()["recovery"]["es"] and r.json()["staff"] == {"email": "ops@example.com", "webhook": False}
    assert client.post("/api/v1/promises", json=BODY, headers=org.admin).json()["code"] == "promise_exists"
    assert [p["key"] for p in client.get("/api/v1/promises", headers=org.admin).json()] == ["two-days"]
    assert client.get("/api/v1/promises/two-days", headers=org.admin).json()["rule"]["target_hours"] == 48
    assert client.delete("/api/v1/promises/two-days", headers=org.admin).json()["active"] is False
    send_at(db, org.id, NOW, event("ana", "order_placed"))
    assert instances(db, org.id) == []  # a retired promise makes no instances


def test_bad_definitions_are_422_with_the_error_format(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    for rule in ({"start_activity": "a"}, {"start_activity": "a", "stop_activity": "b", "target_hours": 1,
                                           "calendar": {"timezone": "Mars/Base", "hours": {"mon": [["09:00",
                                                                                                  "17:00"]]}}},
                 {"start_activity": "a", "stop_activity": "b", "target_hours": 1,
                  "calendar": {"hours": {"mon": []}}}):
        r = client.post("/api/v1/promises", json={**BODY, "rule": rule}, headers=org.admin)
        assert r.status_code == 422 and set(r.json()) == {"code", "message", "detail"}, r.text
    r = client.post("/api/v1/promises", json={**BODY, "moment": "nowhere"}, headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (422, "unknown_moment")
    r = client.post("/api/v1/promises", json={**BODY, "kind": "returns", "rule": {
        "type": "score", "start_activity": "a", "failure_activities": ["b"]}}, headers=org.admin)
    assert r.status_code == 422


def test_score_a_stored_or_draft_promise_against_past_events_stores_nothing(db: Session, client: TestClient,
                                                                           org: OrgHandle) -> None:
    make_service(db, org.id)
    _orders(db, org.id)  # before the promise exists: no instances
    client.post("/api/v1/promises", json=BODY, headers=org.admin)
    period = {"start": T0.isoformat(), "end": (T0 + timedelta(days=1)).isoformat(),
              "now": (T0 + timedelta(days=3)).isoformat()}
    r = client.post("/api/v1/promises/two-days/score", json=period, headers=org.admin)
    assert r.json() == {"processes": 3, "started": 3, "states": {"pending": 0, "at_risk": 0, "kept": 1, "broken": 2},
                        "compliance": 1 / 3, "median_elapsed_hours": 35.0}
    draft = {**BODY, "key": "draft", "rule": {**SHIP_RULE, "target_hours": 72}}
    r = client.post("/api/v1/promises/score", json={"promise": draft, **period}, headers=org.admin)
    assert r.json()["states"] == {"pending": 0, "at_risk": 0, "kept": 2, "broken": 1}
    assert instances(db, org.id) == []


def test_instances_and_indicators(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    client.post("/api/v1/promises", json=BODY, headers=org.admin)
    _orders(db, org.id)
    clock.tick(db, T0 + timedelta(days=3))
    states = [i["state"] for i in client.get("/api/v1/promises/two-days/instances", headers=org.admin).json()]
    assert sorted(states) == ["broken", "broken", "kept"]
    r = client.get("/api/v1/promises/indicators", params={"by": "service", "period": "all"}, headers=org.admin)
    assert r.json() == [{"period": "all", "promise": None, "service": "shop", "moment": None, "kept": 1, "broken": 2,
                         "open": 0, "compliance": 1 / 3, "customers_affected": 2, "median_hours_to_recover": 2.0}]
    r = client.get("/api/v1/promises/indicators", params={"by": "promise", "period": "day"}, headers=org.admin)
    assert [(x["period"], x["kept"], x["broken"]) for x in r.json()] == [("2026-03-03", 1, 0), ("2026-03-04", 0, 2)]


def test_the_status_page_shows_the_promises_with_their_due_dates(db: Session, client: TestClient,
                                                                 org: OrgHandle) -> None:
    make_service(db, org.id)
    client.post("/api/v1/promises", json=BODY, headers=org.admin)
    send_at(db, org.id, NOW, event("eva", "order_placed"))
    (inst,) = instances(db, org.id)
    token = ensure_token(db, org.id, inst.process_id, NOW)
    html = client.get(f"/s/{token}?lang=en").text
    assert "Your order arrives within 2 days" in html and "On track" in html
    assert inst.due_at is not None and inst.due_at.isoformat() in html
    html = client.get(f"/s/{token}?lang=es").text
    assert "Tu pedido llega en 2 días" in html and "Lo que te prometemos" in html


def test_the_status_page_apologises_for_a_broken_promise_and_marks_where_the_customer_is(
        db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    recovery = {"es": "Perdón: te regalamos el envío y te llamamos hoy.",
                "en": "Sorry: shipping is on us, we call today."}
    client.post("/api/v1/promises", json={**BODY, "recovery": recovery}, headers=org.admin)
    send_at(db, org.id, NOW, event("eva", "order_placed"))
    (inst,) = instances(db, org.id)
    token = ensure_token(db, org.id, inst.process_id, NOW)
    assert "data-testid=\"recovery\"" not in client.get(f"/s/{token}?lang=es").text  # nothing broken yet
    clock.tick(db, T0 + timedelta(days=3))
    db.expire_all()  # the requests share the test's session: read the clock's changes afresh
    for lang, here in (("es", "Aquí estás"), ("en", "You are here")):
        html = client.get(f"/s/{token}?lang={lang}").text
        assert "promise-broken" in html
        assert recovery[lang] in html and 'data-testid="recovery"' in html
        current = html.split('aria-current="step"')[1].split("</li>")[0]
        assert here in current
        assert html.count('aria-current="step"') == 1 and html.count("is-done") >= 1  # moments before purchase
