"""Secrets and tokens: random keys shown once, stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
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
