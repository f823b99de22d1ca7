"""Hostile input is bad input: 400/422 with the usual ``{code, message, detail}``, never a 500, on every door and
API, on SQLite and PostgreSQL (NUL characters, NaN/Infinity, deep nesting, ids beyond 64 bits, absurd dates)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.models import Consent, Customer, Event
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send
from tests.web.seed import sign_in

NATIVE = "/api/v1/events"
SEGMENT = "/v1/batch"
CLOUDEVENTS = "/api/v1/cloudevents"


def _error(r: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"code", "message", "detail"}, body
    return dict(body)


def _events(db: Session, org: OrgHandle) -> int:
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org.id)) or 0)


def _native(text: str) -> dict[str, Any]:
    return {"events": [{"message_id": "h1", "customer": text, "activity": "order_placed",
                        "timestamp": "2026-03-02T10:00:00Z", "properties": {"note": text}}]}


def _segment(text: str) -> dict[str, Any]:
    return {"batch": [{"type": "track", "userId": "ana", "event": "order_placed", "messageId": "s1",
                       "timestamp": "2026-03-02T10:00:00Z", "properties": {"note": text}}]}


def _cloudevent(text: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "c1", "source": "/shop", "type": "order_placed", "subject": "ana",
            "time": "2026-03-02T10:00:00Z", "data": {"note": text}}


DOORS = {
    "native": (NATIVE, "application/json", _native),
    "segment": (SEGMENT, "application/json", _segment),
    "cloudevents": (CLOUDEVENTS, "application/cloudevents+json", _cloudevent),
}


def _post(client: TestClient, org: OrgHandle, door: str, raw: bytes, *, gzipped: bool = False) -> Any:
    url, media, _ = DOORS[door]
    headers = {**org.writer, "Content-Type": media}
    if gzipped:
        raw, headers["Content-Encoding"] = gzip.compress(raw), "gzip"
    return client.post(url, content=raw, headers=headers)


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("door", list(DOORS))
def test_a_nul_character_is_refused_by_every_door(db: Session, client: TestClient, org: OrgHandle, door: str,
                                                  gzipped: bool) -> None:
    make_service(db, org.id)
    raw = json.dumps(DOORS[door][2]("a\u0000b")).encode()
    body = _error(_post(client, org, door, raw, gzipped=gzipped), 400)
    assert body["code"] == "nul_character"
    if door != "cloudevents":  # a structured CloudEvent is the body itself
        assert body["detail"]["index"] == 0
    assert _events(db, org) == 0


def test_a_nul_character_in_a_binary_cloudevent_header_is_refused(db: Session, client: TestClient,
                                                                  org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post(CLOUDEVENTS, content=b"plain text", headers={
        **org.writer, "Content-Type": "text/plain", "ce-specversion": "1.0", "ce-id": "b1", "ce-source": "/shop",
        "ce-type": "order_placed", "ce-subject": "ana%00x", "ce-time": "2026-03-02T10:00:00Z"})
    assert _error(r, (400, 422))["code"] == "nul_character"
    assert _events(db, org) == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("door", list(DOORS))
def test_non_finite_numbers_are_refused_by_every_door(db: Session, client: TestClient, org: OrgHandle, door: str,
                                                      constant: str) -> None:
    make_service(db, org.id)
    raw = json.dumps(DOORS[door][2]("x")).replace('"note": "x"', f'"note": {constant}').encode()
    assert _error(_post(client, org, door, raw), 400)["code"] == "non_finite_number"
    assert _events(db, org) == 0


@pytest.mark.parametrize("door", list(DOORS))
def test_json_nested_a_thousand_deep_is_refused_by_every_door(db: Session, client: TestClient, org: OrgHandle,
                                                              door: str) -> None:
    make_service(db, org.id)
    deep = "[" * 1000 + "]" * 1000
    raw = json.dumps(DOORS[door][2]("x")).replace('"note": "x"', f'"note": {deep}').encode()
    for gzipped in (False, True):
        assert _error(_post(client, org, door, raw, gzipped=gzipped), 400)["code"] == "json_too_deep"
    assert _events(db, org) == 0


def test_sixty_four_levels_are_accepted(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    body = _native("x")
    body["events"][0]["properties"] = {"deep": json.loads("[" * 60 + "]" * 60)}  # body, events, event, props: 4
    r = client.post(NATIVE, headers=org.writer, json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("method", "path", "raw"), [
    ("PATCH", "/api/v1/customers/ana", b'{"timezone": "Europe/Madrid\\u0000"}'),
    ("PATCH", "/api/v1/customers/ana", b'{"do_not_contact": NaN}'),
    ("POST", "/api/v1/services", b'{"key": "x", "name_es": "x", "name_en": "x", "assessment": ' + b"[" * 1000
     + b"]" * 1000 + b"}"),
    ("POST", "/api/v1/feedback", b'{"text": "hola\\u0000", "source": "api"}'),
    ("PUT", "/api/v1/consent-mapping", b'{"mapping": {"a\\u0000": ["marketing"]}}'),
], ids=["nul", "nan", "deep", "nul-feedback", "nul-key"])
def test_the_api_refuses_hostile_json_anywhere(db: Session, client: TestClient, org: OrgHandle, method: str,
                                               path: str, raw: bytes) -> None:
    send(db, org.id, event("ana", "order_placed"))
    for headers in ({"Content-Type": "application/json"}, {}):  # FastAPI reads JSON without a content type too
        r = client.request(method, path, content=raw, headers={**org.admin, **headers})
        if b"u0000" in raw:  # a valid JSON value no field accepts: 422 naming where
            assert _error(r, 422)["code"] == "nul_character"
            assert r.json()["detail"]["loc"]
        else:
            assert _error(r, 400)["code"] in ("non_finite_number", "json_too_deep")


def test_nul_in_a_path_or_query_is_400(db: Session, client: TestClient, org: OrgHandle) -> None:
    send(db, org.id, event("ana", "order_placed"))
    assert _error(client.get("/api/v1/customers/ana%00", headers=org.admin), 400)["code"] == "nul_character"
    r = client.get("/api/v1/analytics/dfg", params={"service": "a\x00b"}, headers=org.admin)
    assert _error(r, 400)["code"] == "nul_character"


def test_a_nul_in_a_form_post_is_400(client: TestClient, org: OrgHandle) -> None:
    r = client.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert _error(r, 400)["code"] == "nul_character"


BIG = str(2**64)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"/api/v1/processes/{BIG}"), ("GET", f"/api/v1/processes/{BIG}/events"),
    ("GET", f"/api/v1/notifications/{BIG}"), ("POST", f"/api/v1/notifications/{BIG}/replay"),
    ("POST", f"/api/v1/webhook-endpoints/{BIG}/rotate"), ("POST", f"/api/v1/processes/{BIG}/status-token"),
    ("GET", f"/api/v1/processes?after={BIG}"), ("GET", f"/api/v1/notifications?after={BIG}"),
    ("GET", f"/api/v1/feedback?after={BIG}"), ("GET", f"/api/v1/feedback?need={BIG}"),
    ("GET", f"/api/v1/imports?before={BIG}"),
    ("GET", f"/api/v1/notification-templates/status/preview?process_id={BIG}"),
    ("GET", f"/api/v1/processes/-{BIG}"),
])
def test_ids_and_cursors_beyond_64_bits_are_422(db: Session, client: TestClient, org: OrgHandle, method: str,
                                                path: str) -> None:
    assert _error(client.request(method, path, headers=org.admin), 422)["code"] == "validation_error"


def test_ids_beyond_64_bits_in_bodies_are_422(db: Session, client: TestClient, org: OrgHandle) -> None:
    r = client.post("/api/v1/needs/1/merge", headers=org.admin, json={"into": 2**64})
    assert _error(r, 422)["code"] == "validation_error"
    r = client.post("/api/v1/contacts", headers=org.admin, json={"process_id": 2**64, "purpose": "status"})
    assert _error(r, 422)["code"] == "validation_error"


def test_the_biggest_id_is_an_ordinary_404(db: Session, client: TestClient, org: OrgHandle) -> None:
    assert _error(client.get(f"/api/v1/processes/{2**63 - 1}", headers=org.admin), 404)["code"] == "process_not_found"


@pytest.mark.parametrize("query", [{"to": "9999-12-31T00:00:00Z"}, {"from": "0001-01-01T00:00:00Z"},
                                   {"to": "9999-12-31"}])
@pytest.mark.parametrize("path", ["/api/v1/analytics/indicators", "/api/v1/analytics/dfg",
                                  "/api/v1/promises/indicators"])
def test_absurd_date_ranges_on_the_analytics_api_are_422(db: Session, client: TestClient, org: OrgHandle,
                                                         path: str, query: dict[str, str]) -> None:
    make_service(db, org.id)
    assert _error(client.get(path, params=query, headers=org.admin), 422)["code"] == "validation_error"


def test_absurd_since_and_before_are_422(db: Session, client: TestClient, org: OrgHandle) -> None:
    send(db, org.id, event("ana", "order_placed"))
    r = client.get("/api/v1/listening/indicators", params={"since": "9999-12-31T23:59:59Z"}, headers=org.admin)
    assert _error(r, 422)["code"] == "validation_error"
    r = client.get("/api/v1/customers/ana/timeline", params={"before": "0001-01-01T00:00:00Z"}, headers=org.admin)
    assert _error(r, 422)["code"] == "validation_error"


def test_the_indicators_page_shows_a_form_error_for_9999(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    sign_in(client, org.keys.admin_key)
    r = client.get("/services/shop/indicators", params={"to": "9999-12-31", "lang": "en"})
    assert r.status_code == 400, r.text[:300]
    assert 'role="alert"' in r.text and "between 1900 and 2199" in r.text
    ok = client.get("/services/shop/indicators", params={"from": "2026-01-01", "to": "2026-12-31", "lang": "en"})
    assert ok.status_code == 200 and "between 1900 and 2199" not in ok.text


@pytest.mark.parametrize("granted", [(True, True), (False, False), (True, False)])
def test_the_same_consent_twice_in_one_patch_is_one_statement_refusal_winning(db: Session, client: TestClient,
                                                                              org: OrgHandle,
                                                                              granted: tuple[bool, bool]) -> None:
    send(db, org.id, event("ana", "order_placed"))
    consents = [{"channel": "email", "purpose": "marketing", "granted": g} for g in granted]
    r = client.patch("/api/v1/customers/ana", headers=org.admin, json={"consents": consents})
    assert r.status_code == 200, r.text
    cid = db.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == "ana"))
    rows = db.execute(select(Consent.channel, Consent.purpose, Consent.granted)
                      .where(Consent.customer_id == cid)).all()
    assert [tuple(row) for row in rows] == [("email", "marketing", all(granted))]
    history = client.get("/api/v1/customers/ana/consent-history", headers=org.admin).json()
    assert len([h for h in history if h["purpose"] == "marketing"]) == 1
