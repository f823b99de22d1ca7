"""Request and response models of promises (definitions, instances, tests against past events, indicators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from momentos.kit.schema import one_of
from momentos.promises.rules import RuleIn, incomplete

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")]
Kind = Literal["quality", "functionality", "time", "payment", "exchange", "returns", "other"]
WINDOW_KINDS = ("exchange", "returns", "payment")
SCORE_KINDS = ("quality", "functionality")
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
State = Literal["pending", "at_risk", "kept", "broken"]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid")
    es: Text
    en: Text


class StaffAlert(BaseModel):
    """Where staff hear about a broken promise: an e-mail address and/or the organization's webhook."""

    model_config = ConfigDict(extra="forbid")
    email: Email | None = None
    webhook: bool = False


class PromiseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    service: str = Field(min_length=1, max_length=64)
    moment: str = Field(min_length=1, max_length=64)
    kind: Kind
    text: Bilingual
    """What is promised, explained to the customer (not legalese)."""
    recovery: Bilingual | None = None
    """Apology and offer sent when it is broken (a default text is used when missing)."""
    rule: RuleIn
    staff: StaffAlert = Field(default_factory=StaffAlert)
    notify_kept: bool = False

    @model_validator(mode="after")
    def _kind_fits_rule(self) -> PromiseCreate:
        if self.kind in WINDOW_KINDS and self.rule.type == "score":
            raise incomplete("kind_needs_time_or_window", f"a {self.kind} promise is measured with a time or window "
                             "rule", "kind")
        if self.kind in SCORE_KINDS and self.rule.type == "window":
            raise incomplete("kind_needs_score_or_time", f"a {self.kind} promise is measured with a score or time "
                             "rule", "kind")
        return self


class PromiseRead(BaseModel):
    id: int
    key: str
    service: str
    moment: str
    kind: Annotated[str, one_of(get_args(Kind))]
    text: dict[str, str]
    recovery: dict[str, str]
    rule: dict[str, object]
    staff: dict[str, object]
    notify_kept: bool
    active: bool
    created_at: datetime


class InstanceRead(BaseModel):
    id: int
    promise: str
    process_id: int
    state: State
    started_at: datetime
    due_at: datetime | None
    at_risk_at: datetime | None
    closed_at: datetime | None
    paused: bool


class ScoreQuery(BaseModel):
    """Evaluate a promise (stored, or a draft) against the events of a period, storing nothing."""

    model_config = ConfigDict(extra="forbid")
    start: datetime | None = None
    end: datetime | None = None
    now: datetime | None = None
    """The clock the instances are judged at (default: ``end``, else now)."""


class ScoreResult(BaseModel):
    processes: int
    started: int
    states: dict[str, int]
    compliance: float | None
    """kept / (kept + broken); None when nothing closed."""
    median_elapsed_hours: float | None


class IndicatorRow(BaseModel):
    period: str
    promise: str | None = None
    service: str | None = None
    moment: str | None = None
    kept: int
    broken: int
    open: int
    compliance: float | None
    customers_affected: int
    median_hours_to_recover: float | None
    """Broken promises whose process then reached the stop (late): median hours from the break to the stop."""
