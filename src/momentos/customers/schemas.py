from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from momentos.catalog.schemas import ChannelName

# Fields that identify or govern a customer: traits may never set them.
PROTECTED_TRAITS = frozenset({
    "id", "org", "org_id", "organization", "organization_id", "external_id", "customer_id", "consent",
    "consents", "do_not_contact", "donotcontact", "erased", "erased_at", "created_at", "updated_at",
    "first_seen_at", "last_seen_at",
})


class IdentifyIn(BaseModel):
    customer: str = Field(min_length=1, max_length=255)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime
    language: str | None = None
    timezone: str | None = None
    anonymous_id: str | None = Field(default=None, max_length=255)


class AliasIn(BaseModel):
    customer: str = Field(min_length=1, max_length=255)
    previous_id: str = Field(min_length=1, max_length=255)
    timestamp: datetime


class GroupIn(BaseModel):
    customer: str = Field(min_length=1, max_length=255)
    group_id: str = Field(min_length=1, max_length=255)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ChannelName | Literal["*"]
    purpose: Literal["transactional", "status", "promise", "survey", "marketing", "*"]
    granted: bool


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    do_not_contact: bool | None = None
    preferred_channels: list[ChannelName] | None = None
    language: Literal["es", "en"] | None = None
    timezone: str | None = None
    consents: list[ConsentIn] = Field(default_factory=list)


class ConsentRead(BaseModel):
    channel: str
    purpose: str
    granted: bool
    updated_at: datetime


class CustomerRead(BaseModel):
    external_id: str
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    timezone: str | None
    preferred_channels: list[str]
    do_not_contact: bool
    traits: dict[str, Any]
    account_id: str | None
    first_seen_at: datetime
    last_seen_at: datetime | None = None
    consents: list[ConsentRead] = Field(default_factory=list)
