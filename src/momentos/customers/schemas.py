from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from momentos.catalog.schemas import ChannelName
from momentos.kit.schema import one_of

# Fields that identify or govern a customer: traits may never set them.
PROTECTED_TRAITS = frozenset({
    "id", "org", "org_id", "organization", "organization_id", "external_id", "customer_id", "consent",
    "consents", "do_not_contact", "donotcontact", "erased", "erased_at", "created_at", "updated_at",
    "first_seen_at", "last_seen_at",
})


# Where consent can be stated: the channels the contact policy delivers on, or ``*`` (every channel); and for
# which purpose (``*`` = every purpose). Kept equal to ``policy.engine.CHANNELS``/``PURPOSES`` (a test checks).
ConsentChannel = Literal["email", "sms", "whatsapp", "webhook", "*"]
ConsentPurpose = Literal["transactional", "status", "promise", "survey", "marketing", "*"]
ConsentChannelName = Annotated[str, one_of(get_args(ConsentChannel))]
ConsentPurposeName = Annotated[str, one_of(get_args(ConsentPurpose))]
CategoryName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ConsentChannel
    purpose: ConsentPurpose
    granted: bool


class IdentifyIn(BaseModel):
    """A profile update. Besides traits it may carry consent statements (``consents``, or Segment's
    ``consent_categories`` mapped through the organization's category mapping) and an explicit do-not-contact;
    they are recorded with the message id and the timestamp (when the customer said so)."""

    customer: str = Field(min_length=1, max_length=255)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime
    language: str | None = None
    timezone: str | None = None
    anonymous_id: str | None = Field(default=None, max_length=255)
    message_id: str | None = Field(default=None, min_length=1, max_length=255)
    consents: list[ConsentIn] = Field(default_factory=list, max_length=100)
    consent_categories: dict[CategoryName, bool] = Field(default_factory=dict, max_length=100)
    do_not_contact: bool | None = None


class IngestWarning(BaseModel):
    """Something of an accepted message that was not applied, said by name (never dropped silently)."""

    code: str
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class AliasIn(BaseModel):
    customer: str = Field(min_length=1, max_length=255)
    previous_id: str = Field(min_length=1, max_length=255)
    timestamp: datetime


class GroupIn(BaseModel):
    customer: str = Field(min_length=1, max_length=255)
    group_id: str = Field(min_length=1, max_length=255)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    do_not_contact: bool | None = None
    preferred_channels: list[ChannelName] | None = None
    language: Literal["es", "en"] | None = None
    timezone: str | None = None
    consents: list[ConsentIn] = Field(default_factory=list)


class ConsentRead(BaseModel):
    channel: ConsentChannelName
    purpose: ConsentPurposeName
    granted: bool
    updated_at: datetime
    source: str | None = None
    occurred_at: datetime | None = None


class ConsentEventRead(BaseModel):
    channel: ConsentChannelName
    purpose: ConsentPurposeName
    granted: bool
    source: str
    message_id: str | None
    occurred_at: datetime
    recorded_at: datetime


class ConsentMappingIn(BaseModel):
    """The organization's own categories → purposes (an empty list: a known category that governs no contact);
    they replace the previous ones and lie over the defaults."""

    model_config = ConfigDict(extra="forbid")
    categories: dict[CategoryName, list[Literal["transactional", "status", "promise", "survey", "marketing"]]] = \
        Field(max_length=200)


class ConsentMappingRead(BaseModel):
    categories: dict[str, list[str]]
    """The mapping in force: defaults, then the organization's own entries (matched without regard to case)."""
    custom: dict[str, list[str]]
    """The organization's own entries."""


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
