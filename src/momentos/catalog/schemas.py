from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from momentos.catalog.contact_levels import Assessment, Intensity, Level
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.kit.schema import one_of

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Activity = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

Initiator = Literal["customer", "company"]
CanonicalMoment = Annotated[str, one_of(CANONICAL_KEYS)]
"""One of the 8 contact moments (a journey model's moment maps to some of them; checked by the catalog)."""
LevelName = Annotated[str, one_of(get_args(Level))]

CHANNELS = ("web", "app", "email", "sms", "whatsapp", "phone", "store", "social", "chat", "webhook", "mail",
            "other")


class MomentRead(BaseModel):
    key: str
    name_es: str
    name_en: str
    position: int
    maps_to: list[CanonicalMoment]


class JourneyModelRead(BaseModel):
    key: str
    name_es: str
    name_en: str
    builtin: bool
    moments: list[MomentRead]


class MomentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name_es: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    maps_to: list[CanonicalMoment] = Field(default_factory=list)


class JourneyModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name_es: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    moments: list[MomentIn] = Field(min_length=2, max_length=30)


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name_es: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description_es: str = ""
    description_en: str = ""
    journey_model: Key = "contact-moments-8"
    assessment: Assessment
    level_override: Level | None = None
    override_reason: str | None = Field(default=None, max_length=2000)


ContactDetail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ContactChannel = Literal["phone", "email", "whatsapp", "sms", "web", "chat", "app", "social", "store", "mail"]
ContactDetails = dict[ContactChannel, ContactDetail]
"""How customers reach the company, per channel: a phone number, an e-mail address, a web address (http or https),
a postal or store address… An empty value removes the channel's detail."""


class ServiceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_es: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    description_es: str | None = None
    description_en: str | None = None
    assessment: Assessment | None = None
    level_override: Level | None = None
    override_reason: str | None = Field(default=None, max_length=2000)
    clear_override: bool = False
    journey_model: Key | None = None
    """Another journey model (the 8 contact moments, a preset or one of the organization's); refused while a
    touchpoint sits in a moment the new model does not have."""
    contact_details: ContactDetails | None = None
    """Replaces the service's contact details (only the channels given, with a non-empty value, are kept)."""


class LevelExplanation(BaseModel):
    assessed_level: LevelName
    score: int
    reasons: list[dict[str, str]]
    override: LevelName | None
    override_reason: str | None
    effective_level: LevelName


class ServiceRead(BaseModel):
    key: str
    name_es: str
    name_en: str
    description_es: str
    description_en: str
    journey_model: str
    contact_level: LevelName
    level: LevelExplanation
    assessment: Assessment
    contact_details: dict[str, str] = {}
    created_at: datetime


class TouchpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moment: Key
    channel: ChannelName
    activities: list[Activity] = Field(min_length=1, max_length=100)
    initiator: Initiator
    intensity: Intensity | None = None
    contact_needed: bool = True
    name_es: str = ""
    name_en: str = ""


class TouchpointRead(BaseModel):
    id: int
    moment: str
    channel: str
    activities: list[str]
    initiator: Annotated[str, one_of(get_args(Initiator))]
    intensity: Annotated[str, one_of(get_args(Intensity))]
    intensity_is_default: bool
    contact_needed: bool
    contact_budget: int
    name_es: str
    name_en: str
