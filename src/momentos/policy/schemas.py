"""Request/response models of the contact policy."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from momentos.kit.schema import one_of
from momentos.policy.engine import Outcome

Purpose = Literal["transactional", "status", "promise", "survey", "marketing"]
Channel = Literal["email", "sms", "whatsapp", "webhook"]
Priority = Literal["normal", "transactional"]
PurposeName = Annotated[str, one_of(get_args(Purpose))]
ChannelOut = Annotated[str, one_of(get_args(Channel))]
PriorityName = Annotated[str, one_of(get_args(Priority))]
OutcomeName = Annotated[str, one_of(get_args(Outcome))]


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: time
    end: time


class CapLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)


class RuleSet(BaseModel):
    """One layer of rules; fields left out are inherited from the layer above."""

    model_config = ConfigDict(extra="forbid")

    quiet_hours: QuietHours | None = None
    caps: dict[str, CapLimits] | None = None
    channel_order: list[Channel] | None = None
    disabled_channels: list[Channel] | None = None
    default_consent: dict[Purpose, bool] | None = None

    @field_validator("caps")
    @classmethod
    def _cap_keys(cls, value: dict[str, CapLimits] | None) -> dict[str, CapLimits] | None:
        for key in value or {}:
            kind, sep, name = key.partition(":")
            ok = key == "*" or (sep and kind in ("channel", "purpose") and name) or key.count("/") == 1
            if not ok:
                raise ValueError(f"cap key {key!r}: use '*', 'channel:<c>', 'purpose:<p>' or '<c>/<p>'")
        return value

    def stored(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        if "caps" in data:
            data["caps"] = {k: {p: n for p, n in v.items() if n is not None} for k, v in data["caps"].items()}
        return data


class ReasonRead(BaseModel):
    code: str
    params: dict[str, Any]
    message: str


class DecisionRead(BaseModel):
    id: int
    customer: str
    notification_id: int | None
    stage: str
    purpose: PurposeName
    priority: PriorityName
    outcome: OutcomeName
    channel: ChannelOut | None
    defer_until: datetime | None
    reasons: list[ReasonRead]
    decided_at: datetime
