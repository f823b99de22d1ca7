from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from momentos.kit.schema import one_of


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
    name: str = Field(min_length=1, max_length=200)
    default_language: Literal["es", "en"] = "es"
    timezone: str = "UTC"


class OrganizationRead(BaseModel):
    slug: str
    name: str
    default_language: str
    timezone: str
    created_at: datetime


class IssuedKeys(BaseModel):
    """Secrets are shown once, here; only their digests are stored."""

    organization: str
    write_key: str
    admin_key: str


KeyKind = Literal["write", "admin"]
MAX_GRACE_SECONDS = 30 * 24 * 3600
"""A rotated key keeps working for at most 30 days."""


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: KeyKind
    name: str = Field(default="", max_length=100)


class KeyRotate(BaseModel):
    """``grace_seconds``: how long the old key keeps working (0: refused from the next request)."""

    model_config = ConfigDict(extra="forbid")
    grace_seconds: int = Field(default=0, ge=0, le=MAX_GRACE_SECONDS)


class KeyRead(BaseModel):
    """A key as listed: never its secret nor its digest. ``state``: ``active``, ``expiring`` (a rotated key in its
    grace period), ``expired`` or ``revoked``."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: Annotated[str, one_of(get_args(KeyKind))]
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None
    state: str


class KeyIssued(KeyRead):
    """A new key with its secret, shown once."""

    key: str


class KeyRotated(KeyIssued):
    """The new key (with its secret, shown once) and the key it replaces."""

    replaces: KeyRead
