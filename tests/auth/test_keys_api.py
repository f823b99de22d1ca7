"""The keys API: list without secrets, create (the secret once), revoke and rotate with a grace period; every change
takes effect on the next request and is in the audit log; admin keys of the organization only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from momentos.audit.service import entries
from momentos.kit.clock import utcnow
from momentos.models import ApiKey
from tests.conftest import OrgHandle


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _create(client: TestClient, org: OrgHandle, kind: str = "admin", name: str = "ci") -> dict[str, Any]:
    r = client.post("/api/v1/keys", json={"kind": kind, "name": name}, headers=org.admin)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_list_never_shows_a_secret_and_create_shows_it_once(db: Session, client: TestClient,
                                                            org: OrgHandle) -> None:
    listed = client.get("/api/v1/keys", headers=org.admin)
    assert listed.status_code == 200
    assert [(k["kind"], k["state"]) for k in listed.json()] == [("write", "active"), ("admin", "active")]
    assert org.keys.admin_key not in listed.text and org.keys.write_key not in listed.text
    assert all(set(k) == {"id", "kind", "name", "prefix", "created_at", "revoked_at", "expires_at", "state"}
               for k in listed.json())
    made = _create(client, org, "write", "shop")
    assert made["key"].startswith("mw_") and made["key"].startswith(made["prefix"]) and made["name"] == "shop"
    again = client.get("/api/v1/keys", headers=org.admin)
    assert made["key"] not in again.text and made["id"] in [k["id"] for k in again.json()]
    assert client.get("/api/v1/keys", headers=bearer(made["key"])).status_code == 403  # a write key is no admin
    entry = entries(db, org.id, action="key.create")[0]
    assert entry.target == f"api_key:{made['id']}" and entry.actor_kind == "key"
    assert entry.after == {"kind": "write", "name": "shop", "prefix": made["prefix"], "state": "active",
                           "expires_at": None}
    assert made["key"] not in str(entry.after)


def test_a_revoked_key_is_refused_on_the_next_request(db: Session, client: TestClient, org: OrgHandle) -> None:
    second = _create(client, org)
    assert client.get("/api/v1/keys", headers=bearer(second["key"])).status_code == 200
    r = client.delete(f"/api/v1/keys/{second['id']}", headers=org.admin)
    assert r.status_code == 200 and r.json()["state"] == "revoked" and r.json()["revoked_at"]
    refused = client.get("/api/v1/keys", headers=bearer(second["key"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_key")
    assert client.delete(f"/api/v1/keys/{second['id']}", headers=org.admin).status_code == 200  # again: no change
    writer_id = next(k["id"] for k in client.get("/api/v1/keys", headers=org.admin).json() if k["kind"] == "write")
    assert client.delete(f"/api/v1/keys/{writer_id}", headers=org.admin).status_code == 200
    ingest = client.post("/v1/track", headers=org.writer, json={"userId": "ana", "event": "signed_up"})
    assert ingest.status_code == 401
    revokes = entries(db, org.id, action="key.revoke")
    assert [e.target for e in revokes] == [f"api_key:{writer_id}", f"api_key:{second['id']}"]
    assert revokes[1].before == {"kind": "admin", "name": "ci", "prefix": second["prefix"], "state": "active",
                                 "expires_at": None}
    assert revokes[1].after is not None and revokes[1].after["state"] == "revoked"
    assert revokes[1].actor_label.startswith("admin key ma_")


def test_the_last_admin_key_cannot_be_revoked(client: TestClient, org: OrgHandle) -> None:
    own = next(k for k in client.get("/api/v1/keys", headers=org.admin).json() if k["kind"] == "admin")
    r = client.delete(f"/api/v1/keys/{own['id']}", headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (409, "last_admin_key")
    assert client.get("/api/v1/keys", headers=org.admin).status_code == 200
    # a rotating (expiring) key does not count as the one that stays
    rotated = client.post(f"/api/v1/keys/{own['id']}/rotate", json={"grace_seconds": 600}, headers=org.admin).json()
    r = client.delete(f"/api/v1/keys/{rotated['id']}", headers=bearer(rotated["key"]))
    assert (r.status_code, r.json()["code"]) == (409, "last_admin_key")
    assert client.delete(f"/api/v1/keys/{own['id']}", headers=bearer(rotated["key"])).status_code == 200


def test_rotation_keeps_the_old_key_for_the_grace_period_only(db: Session, client: TestClient,
                                                               org: OrgHandle) -> None:
    own = next(k for k in client.get("/api/v1/keys", headers=org.admin).json() if k["kind"] == "admin")
    r = client.post(f"/api/v1/keys/{own['id']}/rotate", json={"grace_seconds": 3600}, headers=org.admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "admin" and body["key"].startswith("ma_") and body["id"] != own["id"]
    assert body["replaces"]["id"] == own["id"] and body["replaces"]["state"] == "expiring"
    assert client.get("/api/v1/keys", headers=org.admin).status_code == 200  # within the grace period
    assert client.get("/api/v1/keys", headers=bearer(body["key"])).status_code == 200
    db.execute(update(ApiKey).where(ApiKey.id == own["id"]).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/v1/keys", headers=org.admin).status_code == 401  # the grace period is over
    states = {k["id"]: k["state"] for k in client.get("/api/v1/keys", headers=bearer(body["key"])).json()}
    assert states[own["id"]] == "expired" and states[body["id"]] == "active"
    r = client.post(f"/api/v1/keys/{own['id']}/rotate", headers=bearer(body["key"]))
    assert (r.status_code, r.json()["code"]) == (409, "key_expired")
    rotation = entries(db, org.id, action="key.rotate")[0]
    assert rotation.after is not None and rotation.target == f"api_key:{own['id']}"
    assert rotation.after["replaced_by"] == body["id"]
    assert rotation.after["grace_seconds"] == 3600 and body["key"] not in str(rotation.after)


def test_rotation_without_grace_ends_the_old_key_at_once(client: TestClient, org: OrgHandle) -> None:
    writer = next(k for k in client.get("/api/v1/keys", headers=org.admin).json() if k["kind"] == "write")
    r = client.post(f"/api/v1/keys/{writer['id']}/rotate", headers=org.admin)
    assert r.status_code == 201 and r.json()["kind"] == "write" and r.json()["replaces"]["state"] == "revoked"
    assert client.post("/v1/track", headers=org.writer, json={"userId": "a", "event": "x"}).status_code == 401
    new = bearer(r.json()["key"])
    assert client.post("/v1/track", headers=new, json={"userId": "a", "event": "x"}).status_code == 200
    again = client.post(f"/api/v1/keys/{writer['id']}/rotate", headers=org.admin)
    assert (again.status_code, again.json()["code"]) == (409, "key_revoked")


def test_bad_input_and_other_organizations(client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    theirs = client.get("/api/v1/keys", headers=other_org.admin).json()
    for key in theirs:
        assert client.delete(f"/api/v1/keys/{key['id']}", headers=org.admin).status_code == 404
        assert client.post(f"/api/v1/keys/{key['id']}/rotate", headers=org.admin).json()["code"] == "key_not_found"
    assert {k["state"] for k in client.get("/api/v1/keys", headers=other_org.admin).json()} == {"active"}
    assert client.get("/api/v1/keys").status_code == 401
    assert client.post("/api/v1/keys", json={"kind": "write"}, headers=org.writer).status_code == 403
    for body in ({"kind": "root"}, {"kind": "write", "name": "x" * 101}, {"kind": "write", "secret": "mine"}):
        assert client.post("/api/v1/keys", json=body, headers=org.admin).status_code == 422
    own = theirs[0]["id"]
    for grace in (-1, 31 * 24 * 3600, "soon"):
        r = client.post(f"/api/v1/keys/{own}/rotate", json={"grace_seconds": grace}, headers=other_org.admin)
        assert r.status_code == 422
    assert client.delete(f"/api/v1/keys/{2**64}", headers=org.admin).status_code == 422
    assert client.delete("/api/v1/keys/0", headers=org.admin).status_code == 422
