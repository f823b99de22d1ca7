"""MOMENTOS_TRUSTED_PROXIES: parsed strictly, and `momentos serve` never lets uvicorn read forwarded headers."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from pydantic import ValidationError

from momentos import cli
from momentos.config import Settings


def test_trusted_proxies_come_comma_separated_or_as_json_and_must_be_addresses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("MOMENTOS_TRUSTED_PROXIES", "10.0.0.5, 10.1.2.3/16,::1")
    assert Settings().trusted_proxies == ["10.0.0.5", "10.1.0.0/16", "::1"]
    monkeypatch.setenv("MOMENTOS_TRUSTED_PROXIES", '["127.0.0.1"]')
    assert Settings().trusted_proxies == ["127.0.0.1"]
    monkeypatch.setenv("MOMENTOS_TRUSTED_PROXIES", "proxy.internal")
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings()


def test_serve_runs_uvicorn_without_its_own_proxy_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("MOMENTOS_TRUSTED_PROXIES", "127.0.0.1")
    cli.serve(None, 8123, 1)
    assert seen["proxy_headers"] is False and seen["port"] == 8123
