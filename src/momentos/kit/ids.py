"""Secrets and tokens: random keys shown once, stored as SHA-256 digests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
KEY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


def new_secret(prefix: str) -> str:
    """A 256-bit random secret with a readable prefix (e.g. ``mw_…`` for write keys)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """API keys are high-entropy random strings, so a plain SHA-256 digest is the right store."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def new_nonce() -> str:
    """The random half of a link token (:func:`link_token`); stored, useless without the server's secret."""
    return secrets.token_urlsafe(16)


def link_key(secret_key: str) -> bytes:
    """The key link tokens are derived with, from the server's secret key (its own HMAC, so the secret itself
    signs nothing else)."""
    return hmac.new(secret_key.encode(), b"momentos link tokens v1", hashlib.sha256).digest()


def link_token(key: bytes, purpose: str, nonce: str) -> str:
    """A customer link's token (status page ``status``, survey ``survey``): HMAC-SHA256 of purpose and nonce under
    the server's link key, base64url without padding (43 characters). The database keeps only the nonce and the
    token's :func:`digest`, so it cannot give a link away, while staff can still be shown a link made earlier."""
    mac = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
