"""Whose word counts for the client's address: the connection's peer, unless it is a trusted reverse proxy.

``request.client.host`` is what the sign-in throttle counts per address. uvicorn would, by default, take
``X-Forwarded-For`` from 127.0.0.1 as the truth, so anyone who can reach the server from the machine (or any proxy
that passes the header through) could rotate it to get past the limit. The server therefore never reads forwarded
headers itself (``SERVER_OPTIONS``, used by ``momentos serve`` and ``momentos demo``); the app honours
``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from the peers listed in ``MOMENTOS_TRUSTED_PROXIES`` (IPs or
networks), with uvicorn's own middleware (the client is the rightmost address not in that list).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from momentos.config import Settings

SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False}
"""uvicorn's options for every server of the app: forwarded headers are the app's business (see above)."""


def install_proxy_headers(app: FastAPI, settings: Settings) -> None:
    """Honour forwarded headers from the configured proxies only; with none configured, ignore them."""
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
