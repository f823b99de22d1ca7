"""Request/response models of feedback: items from other sources, their batch and result, a stored text."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from momentos.kit.schema import one_of
from momentos.listening.analysis.sentiment import LABELS as SENTIMENTS

FeedbackKind = Literal["complaint", "review", "social", "comment"]
TEXT_MAX = 20_000
"""Longest text kept (imports keep it whole; the analysis reads its first 512 tokens and flags it truncated)."""


class FeedbackIn(BaseModel):
    """A complaint, review, social mention or comment from another source."""

    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind = "comment"
    source: str = Field(min_length=1, max_length=64)
    external_id: str | None = Field(default=None, max_length=255)
    text: str = Field(max_length=TEXT_MAX)
    occurred_at: datetime
    customer: str | None = Field(default=None, max_length=255)
    author: str | None = Field(default=None, max_length=200)
    rating: float | None = Field(default=None, ge=0, le=10)
    url: str | None = Field(default=None, max_length=2000)
    service: str | None = Field(default=None, max_length=64)
    process_id: int | None = None
    moment: str | None = Field(default=None, max_length=64)
    promise: str | None = Field(default=None, max_length=200)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at needs a time zone offset")
        return value


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[FeedbackIn] = Field(min_length=1, max_length=5000)


class FeedbackResult(BaseModel):
    accepted: int = 0
    duplicates: int = 0


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Annotated[str, one_of(get_args(FeedbackKind))]
    source: str
    external_id: str | None
    customer_id: int | None
    service_id: int | None
    moment: str | None
    promise: str | None
    text: str | None
    author: str | None
    rating: float | None
    url: str | None
    nps: int | None
    csat: int | None
    ces: int | None
    perception: dict[str, Any]
    occurred_at: datetime
    language: str | None
    sentiment: Annotated[str, one_of(SENTIMENTS)] | None
    sentiment_score: float | None
    analyzed_at: datetime | None
    need_id: int | None


class AnalyzeResult(BaseModel):
    queued: int
