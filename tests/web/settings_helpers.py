"""Helpers of the access-settings page tests: people with a role, and a second browser on the same app."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.users import service as users
from tests.web.seed import csrf_of

PASSWORD = "a long enough test password"


def person(db: Session, org_id: int, email: str, role: str, language: str | None = None) -> int:
    user = users.create_user(db, email, PASSWORD, utcnow(), language)
    users.add_membership(db, user.id, org_id, role, utcnow())
    return user.id


def browser(client: TestClient, lang: str = "es") -> TestClient:
    """Another browser (its own cookies) on the test's app and rolled-back session."""
    return TestClient(client.app, headers={"Accept-Language": lang}, follow_redirects=False)


def sign_in_password(tab: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_of(tab.get("/login").text)
    r = tab.post("/login", data={"email": email, "password": password, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text


def sign_in_key(tab: TestClient, key: str) -> None:
    token = csrf_of(tab.get("/login").text)
    r = tab.post("/login", data={"key": key, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text


def token_of(tab: TestClient) -> str:
    return csrf_of(tab.get("/customers").text)
