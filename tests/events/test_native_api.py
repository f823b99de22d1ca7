"""The native JSON ingestion route: all or nothing, clear errors."""

from __future__ import annotations

import gzip

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.models import Customer, Event
from tests.conftest import OrgHandle
from tests.factories import make_service


def _count(db: Session, org: OrgHandle) -> int:
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org.id)) or 0)


def ev(i: int, **kw: object) -> dict[str, object]:
    return {"message_id": f"n{i}", "customer": "ana", "activity": "order_placed",
            "timestamp": f"2026-03-02T10:{i:02d}:00+01:00", **kw}


def test_batch_is_stored_and_identify_sets_profile(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post("/api/v1/events", headers=org.writer, json={
        "identifies": [{"customer": "ana", "timestamp": "2026-03-02T09:00:00Z",
                        "traits": {"email": "ana@example.com", "locale": "es-MX", "timezone": "America/Mexico_City",
                                   "do_not_contact": False, "plan": "gold"}}],
        "events": [ev(1), ev(2, activity="order_shipped")]})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
    c = db.scalars(select(Customer).where(Customer.org_id == org.id)).one()
    assert (c.email, c.language, c.timezone, c.traits.get("plan")) == ("ana@example.com", "es",
                                                                        "America/Mexico_City", "gold")
    assert "do_not_contact" not in c.traits
    r = client.get("/api/v1/customers/ana/timeline", headers=org.admin)
    assert [e["activity"] for e in r.json()] == ["order_shipped", "order_placed"]
    assert r.json()[1]["timestamp"].startswith("2026-03-02T09:01:00")  # converted to UTC


def test_traits_cannot_set_protected_fields(db: Session, client: TestClient, org: OrgHandle) -> None:
    client.patch("/api/v1/customers/ana", headers=org.admin, json={})  # 404: does not exist yet
    r = client.post("/api/v1/events", headers=org.writer, json={"identifies": [
        {"customer": "ana", "timestamp": "2026-03-02T09:00:00Z",
         "traits": {"id": 999, "external_id": "mallory", "consents": {"email": True}, "do_not_contact": False,
                    "organization": "other", "name": "Ana"}}]})
    assert r.status_code == 200
    client.patch("/api/v1/customers/ana", headers=org.admin, json={"do_not_contact": True})
    client.post("/api/v1/events", headers=org.writer, json={"identifies": [
        {"customer": "ana", "timestamp": "2026-03-02T09:05:00Z", "traits": {"do_not_contact": False}}]})
    c = db.scalars(select(Customer).where(Customer.org_id == org.id)).one()
    assert (c.external_id, c.name, c.do_not_contact) == ("ana", "Ana", True)
    assert not {"id", "external_id", "consents", "organization", "do_not_contact"} & set(c.traits)


def test_malformed_json_is_400_with_error_shape(client: TestClient, org: OrgHandle) -> None:
    r = client.post("/api/v1/events", headers={**org.writer, "Content-Type": "application/json"},
                    content=b'{"events": [')
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json" and set(r.json()) == {"code", "message", "detail"}


def test_wrong_types_are_422_and_nothing_is_written(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post("/api/v1/events", headers=org.writer, json={"events": [ev(1), ev(2, timestamp=12.5e99),
                                                                          ev(3, properties="nope")]})
    assert r.status_code == 422
    assert {tuple(d["loc"][:2]) for d in r.json()["detail"]} >= {("events", 1), ("events", 2)}
    assert _count(db, org) == 0


def test_unknown_moment_is_422_naming_the_event(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post("/api/v1/events", headers=org.writer, json={"events": [ev(1), ev(2, moment="limbo")]})
    assert (r.status_code, r.json()["code"], r.json()["detail"]["index"]) == (422, "unknown_moment", 1)
    assert _count(db, org) == 0


def test_gzip_bomb_is_413_and_nothing_is_written(db: Session, client: TestClient, org: OrgHandle) -> None:
    bomb = gzip.compress(b'{"events": [' + b" " * (50 * 1024 * 1024) + b"]}")
    r = client.post("/api/v1/events", headers={**org.writer, "Content-Encoding": "gzip",
                                               "Content-Type": "application/json"}, content=bomb)
    assert r.status_code == 413 and r.json()["code"] == "decompressed_too_large"
    assert _count(db, org) == 0


def test_gzip_body_is_accepted(db: Session, client: TestClient, org: OrgHandle) -> None:
    import json

    body = gzip.compress(json.dumps({"events": [ev(1)]}).encode())
    r = client.post("/api/v1/events", headers={**org.writer, "Content-Encoding": "gzip",
                                               "Content-Type": "application/json"}, content=body)
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_erased_customer_does_not_come_back_on_replay(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    batch = {"events": [ev(1), ev(2)]}
    assert client.post("/api/v1/events", headers=org.writer, json=batch).json()["accepted"] == 2
    assert client.delete("/api/v1/customers/ana", headers=org.admin).status_code == 204
    r = client.post("/api/v1/events", headers=org.writer, json={"events": [ev(3), ev(4)]})
    assert r.json()["dropped_erased"] == 2
    assert _count(db, org) == 0
    assert client.get("/api/v1/customers/ana", headers=org.admin).status_code == 404
