"""The owners' API keys page (/settings/keys): owners only, the secret shown once, revoke (not the last admin key),
rotate with a grace period; a revoked admin key's page sessions end at once; every change audited by the viewer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.audit.service import entries
from momentos.orgs.service import authenticate
from tests.conftest import OrgHandle
from tests.web.settings_helpers import browser, person, sign_in_key, sign_in_password, token_of

SECRET = re.compile(r'value="(m[aw]_[^"]+)"[^>]*data-secret')


def _key_ids(client: TestClient, org: OrgHandle) -> dict[str, int]:
    return {k["kind"]: k["id"] for k in client.get("/api/v1/keys", headers=org.admin).json()
            if k["state"] == "active"}


def test_only_owners_see_the_access_settings(db: Session, client: TestClient, org: OrgHandle) -> None:
    for role in ("manager", "analyst", "agent"):
        person(db, org.id, f"{role}@example.com", role)
        tab = browser(client)
        sign_in_password(tab, f"{role}@example.com")
        assert 'href="/settings/keys"' not in tab.get("/customers").text
        token = token_of(tab)
        for path in ("/settings", "/settings/keys", "/settings/people"):
            assert tab.get(path).status_code == 403, (role, path)
        assert tab.post("/settings/keys", data={"kind": "admin", "csrf": token}).status_code == 403
        key_id = _key_ids(client, org)["admin"]
        assert tab.post(f"/settings/keys/{key_id}/revoke", data={"csrf": token}).status_code == 403
    person(db, org.id, "owner@example.com", "owner")
    owner = browser(client)
    sign_in_password(owner, "owner@example.com")
    assert 'href="/settings/keys"' in owner.get("/customers").text
    assert owner.get("/settings/keys").status_code == 200
    assert owner.get("/settings").headers["location"] == "/settings/keys"
    by_key = browser(client)
    sign_in_key(by_key, org.keys.admin_key)  # an admin key acts as the owner
    assert by_key.get("/settings/people").status_code == 200


def test_an_owner_creates_a_key_seen_once_and_revokes_it(db: Session, client: TestClient, org: OrgHandle) -> None:
    person(db, org.id, "owner@example.com", "owner")
    tab = browser(client)
    sign_in_password(tab, "owner@example.com")
    token = token_of(tab)
    assert tab.post("/settings/keys", data={"kind": "write", "name": "tienda"}).status_code == 400  # no token
    made = tab.post("/settings/keys", data={"kind": "write", "name": "tienda", "csrf": token})
    assert made.status_code == 200 and "Su nueva clave" in made.text and "no se volverá a mostrar" in made.text
    secret = SECRET.search(made.text)
    assert secret is not None
    principal = authenticate(db, secret.group(1))
    assert principal is not None and principal.kind == "write"
    listing = tab.get("/settings/keys").text
    assert secret.group(1) not in listing and f"{secret.group(1)[:10]}…" in listing and "tienda" in listing
    created = entries(db, org.id, action="key.create")[0]
    assert created.actor_kind == "user" and created.actor_label == "owner@example.com"
    r = tab.post(f"/settings/keys/{principal.key_id}/revoke", data={"csrf": token})
    assert r.status_code == 303
    assert authenticate(db, secret.group(1)) is None
    assert f'data-key="{principal.key_id}" data-state="revoked"' in tab.get("/settings/keys").text
    assert entries(db, org.id, action="key.revoke")[0].actor_label == "owner@example.com"
    bad = tab.post("/settings/keys", data={"kind": "root", "csrf": token})
    assert bad.status_code == 400 and "Elija el tipo de clave" in bad.text


def test_the_last_admin_key_stays_and_other_organizations_keys_are_not_found(
        db: Session, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    tab = browser(client, "en")
    sign_in_key(tab, org.keys.admin_key)
    token = token_of(tab)
    refused = tab.post(f"/settings/keys/{_key_ids(client, org)['admin']}/revoke", data={"csrf": token})
    assert refused.status_code == 409 and "last admin key" in refused.text and 'role="alert"' in refused.text
    assert authenticate(db, org.keys.admin_key) is not None
    theirs = _key_ids(client, other_org)["admin"]
    assert tab.post(f"/settings/keys/{theirs}/revoke", data={"csrf": token}).status_code == 404
    assert tab.post(f"/settings/keys/{theirs}/rotate", data={"csrf": token}).status_code == 404
    assert authenticate(db, other_org.keys.admin_key) is not None
    assert tab.post(f"/settings/keys/{2**64}/revoke", data={"csrf": token}).status_code == 422


def test_a_revoked_admin_keys_page_sessions_end_at_once(db: Session, client: TestClient, org: OrgHandle) -> None:
    second = client.post("/api/v1/keys", json={"kind": "admin"}, headers=org.admin).json()
    tab = browser(client)
    sign_in_key(tab, second["key"])
    assert tab.get("/customers").status_code == 200
    assert client.delete(f"/api/v1/keys/{second['id']}", headers=org.admin).status_code == 200
    ended = tab.get("/customers")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")


def test_rotation_from_the_page_keeps_the_session_for_the_grace_period_only(
        db: Session, client: TestClient, org: OrgHandle) -> None:
    tab = browser(client, "en")
    sign_in_key(tab, org.keys.admin_key)
    token = token_of(tab)
    ids = _key_ids(client, org)
    rotated = tab.post(f"/settings/keys/{ids['admin']}/rotate", data={"grace_hours": "2", "csrf": token})
    assert rotated.status_code == 200 and "Your new key" in rotated.text and "keeps working until" in rotated.text
    new_secret = SECRET.search(rotated.text)
    assert new_secret is not None and new_secret.group(1).startswith("ma_")
    assert tab.get("/settings/keys").status_code == 200  # the old key still works: the session too
    entry = entries(db, org.id, action="key.rotate")[0]
    assert entry.after is not None and entry.after["grace_seconds"] == 7200
    now_gone = tab.post(f"/settings/keys/{ids['write']}/rotate", data={"grace_hours": "0", "csrf": token})
    assert "which no longer works" in now_gone.text
    assert tab.post(f"/settings/keys/{ids['write']}/rotate", data={"grace_hours": "0", "csrf": token}
                    ).status_code == 409
    assert tab.post(f"/settings/keys/{ids['admin']}/rotate", data={"grace_hours": "9999", "csrf": token}
                    ).status_code == 422
    # rotating the admin key the session was opened with, without grace, ends the session
    fresh = browser(client)
    sign_in_key(fresh, new_secret.group(1))
    new_id = authenticate(db, new_secret.group(1)).key_id  # type: ignore[union-attr]
    fresh.post(f"/settings/keys/{new_id}/rotate", data={"grace_hours": "0", "csrf": token_of(fresh)})
    assert fresh.get("/customers").status_code == 303
