"""Webhooks signed per the Standard Webhooks spec: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per secret during a rotation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

import httpx

from momentos.notify.channels import DeliveryError, client_error
from momentos.notify.ssrf import check_url

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: space-separated ``v1,<sig>``, one per secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(hmac.new(_key(s), signed, hashlib.sha256).digest()).decode()
                    for s in secrets_)


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    expected = sign([secret], msg_id, timestamp, body).split(",", 1)[1]
    return any(hmac.compare_digest(part.split(",", 1)[1], expected) for part in header.split() if "," in part)


def post(client: httpx.Client, url: str, secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes, *,
         allow: Sequence[str]) -> None:
    """Deliver once: checks the URL (resolving now), connects to the checked address, no redirects."""
    target = check_url(url, allow)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    address = f"[{target.address}]" if ":" in target.address else target.address
    headers = {"content-type": "application/json", "host": host_header, "webhook-id": msg_id,
               "webhook-timestamp": str(timestamp), "webhook-signature": sign(secrets_, msg_id, timestamp, body),
               "user-agent": "Momentos-Webhooks/1"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        response = client.post(f"{target.scheme}://{address}:{target.port}{target.path}", content=body,
                               headers=headers, extensions=extensions, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook: HTTP {response.status_code}", permanent=client_error(response.status_code),
                            failure="receiver_rejected")
