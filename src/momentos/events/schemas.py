from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from momentos.customers.schemas import AliasIn, GroupIn, IdentifyIn, IngestWarning
from momentos.kit.clock import ensure_utc
from momentos.kit.schema import one_of

UTC_DT = Annotated[datetime, AfterValidator(ensure_utc)]
Text255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]

EventType = Literal["track", "page", "screen"]
Initiator = Literal["customer", "company"]


class EventIn(BaseModel):
    """One interaction, in the native shape every door converts to."""

    model_config = ConfigDict(extra="forbid")

    message_id: Text255
    customer: Text255
    timestamp: UTC_DT
    activity: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    type: EventType = "track"
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")] | None = None
    service: Annotated[str, StringConstraints(max_length=64)] | None = None
    moment: Annotated[str, StringConstraints(max_length=64)] | None = None
    process: Annotated[str, StringConstraints(max_length=255)] | None = None
    initiator: Initiator | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class NativeBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(default_factory=list, max_length=10_000)
    identifies: list[IdentifyIn] = Field(default_factory=list, max_length=10_000)


class Batch(BaseModel):
    """Everything one request or file chunk carries, applied in this order: profiles, aliases, events."""

    identifies: list[IdentifyIn] = Field(default_factory=list)
    aliases: list[AliasIn] = Field(default_factory=list)
    groups: list[GroupIn] = Field(default_factory=list)
    events: list[EventIn] = Field(default_factory=list)


MAX_WARNINGS = 100


def _empty(value: list[IngestWarning]) -> bool:
    return not value


class IngestResult(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    dropped_erased: int = 0
    """Messages about an erased customer that were dropped: events, and identifies, aliases or groups naming an
    erased id (an identify whose only erased id is its anonymous id is applied without that link, and counted);
    see ``customers.erased``."""
    profiles: int = 0
    warnings: list[IngestWarning] = Field(default_factory=list, exclude_if=_empty)
    """What was accepted but not applied, by name: traits a write key may not set (``protected_trait``), consent
    categories the organization's mapping does not know (``unknown_consent_category``); the first
    ``MAX_WARNINGS``. Left out of the answer when there is none."""

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.dropped_erased += other.dropped_erased
        self.profiles += other.profiles
        self.warnings.extend(other.warnings[:max(0, MAX_WARNINGS - len(self.warnings))])


class EventRead(BaseModel):
    message_id: str
    type: Annotated[str, one_of(get_args(EventType))]
    activity: str
    channel: str
    moment: str | None
    initiator: Annotated[str, one_of(get_args(Initiator))]
    service: str | None
    process_id: int | None
    source: str
    timestamp: datetime
    received_at: datetime
    properties: dict[str, Any]
