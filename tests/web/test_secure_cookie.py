"""Behind https the session cookie is also Secure (and always HttpOnly, SameSite=Lax)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from momentos.config import Settings
from tests.conftest import test_settings as settings_for


@pytest.fixture
def app_settings() -> Settings:
    return settings_for(public_url="https://momentos.example.com")


def test_the_session_cookie_is_secure_httponly_and_samesite_on_https(client: TestClient) -> None:
    header = client.get("/login").headers["set-cookie"].lower()
    assert "momentos_session=" in header
    assert "secure" in header and "httponly" in header and "samesite=lax" in header
