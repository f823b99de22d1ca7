from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
