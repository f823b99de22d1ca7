"""Request/response models of surveys: definitions, invitations, answers and the listening indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from momentos.kit.ids import KEY_RE
from momentos.listening.feedback.schemas import TEXT_MAX

QuestionKind = Literal["nps", "csat", "ces", "perception", "text"]
PERCEPTION_DEFAULTS = ("reliability", "involvement", "image")
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "perception": (1, 5)}


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    es: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=KEY_RE.pattern)
    kind: QuestionKind
    label: Label


def check_questions(questions: list[QuestionIn]) -> None:
    """Question keys are unique (``ctx.field``: the key, for a form); NPS, CSAT, CES and text are asked once."""
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise PydanticCustomError("duplicate_question_key", "question keys must be unique", {"field": "key"})
    for kind in ("nps", "csat", "ces", "text"):
        if sum(q.kind == kind for q in questions) > 1:
            raise ValueError(f"at most one {kind} question")


class SurveyCreate(BaseModel):
    """A survey; with ``service`` and ``moment`` it is sent to every customer entering that moment; with ``service``
    and ``touchpoint`` (a touchpoint id of that service) to every customer after an event of the touchpoint's
    activities."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=KEY_RE.pattern)
    title_es: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    service: str | None = None
    moment: str | None = Field(default=None, max_length=64)
    touchpoint: int | None = Field(default=None, ge=1)
    questions: list[QuestionIn] = Field(min_length=1, max_length=30)
    valid_hours: int = Field(default=72, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _check(self) -> SurveyCreate:
        check_questions(self.questions)
        if self.touchpoint is not None:
            if self.service is None or self.moment is not None:
                raise ValueError("a touchpoint survey names its service and no moment (the touchpoint's is used)")
        elif (self.service is None) != (self.moment is None):
            raise ValueError("give both service and moment, or neither")
        return self


class SurveyUpdate(BaseModel):
    """A change to a survey: only the fields given change. ``questions`` replaces the whole list (a question keeps
    its key: the answers already stored are filed under it); where and when the survey is sent do not change."""

    model_config = ConfigDict(extra="forbid")

    title_es: str | None = Field(default=None, min_length=1, max_length=200)
    title_en: str | None = Field(default=None, min_length=1, max_length=200)
    questions: list[QuestionIn] | None = Field(default=None, min_length=1, max_length=30)
    valid_hours: int | None = Field(default=None, ge=1, le=24 * 60)
    active: bool | None = None

    @model_validator(mode="after")
    def _check(self) -> SurveyUpdate:
        if self.questions is not None:
            check_questions(self.questions)
        return self


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    title_es: str
    title_en: str
    service_id: int | None
    moment: str | None
    touchpoint_id: int | None = None
    questions: list[dict[str, Any]]
    valid_hours: int
    active: bool


class InviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=255)
    process_id: int | None = None
    dedup_key: str | None = Field(default=None, max_length=200)


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survey_id: int
    customer_id: int
    process_id: int | None
    moment: str | None
    notification_id: int | None
    notification_status: str | None = None
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None


class AnswerIn(BaseModel):
    """Scores and the free text of one answer; every score is optional, but an answer needs at least one item."""

    model_config = ConfigDict(extra="forbid")

    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    ces: Annotated[int, Field(ge=1, le=7)] | None = None
    perception: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(default_factory=dict, max_length=30)
    text: str | None = Field(default=None, max_length=TEXT_MAX)

    @model_validator(mode="after")
    def _not_empty(self) -> AnswerIn:
        if self.text is not None:
            self.text = self.text.strip() or None
        if self.nps is None and self.csat is None and self.ces is None and not self.perception and not self.text:
            raise ValueError("an answer needs at least one score or a text")
        return self


class SurveyResponseIn(AnswerIn):
    """An answer sent through the API (not through an invitation)."""

    customer: str | None = Field(default=None, max_length=255)
    process_id: int | None = None
    external_id: str | None = Field(default=None, max_length=255)
    occurred_at: datetime | None = None


class Scores(BaseModel):
    answers: int = 0
    nps: float | None = None
    csat: float | None = None
    ces: float | None = None
    perception: dict[str, float] = Field(default_factory=dict)
    sentiment: float | None = None


class PeriodScores(BaseModel):
    period: str
    """ISO week, e.g. ``2026-W10``."""
    scores: Scores


class MomentIndicators(BaseModel):
    moment: str
    name_es: str
    name_en: str
    scores: Scores
    invited: int
    answered: int
    response_rate: float | None
    emotion: float | None
    """-1..1: the mean of the normalised CSAT/NPS/CES and the text sentiment of the moment's feedback."""
    weeks: list[PeriodScores]


class ListeningIndicators(BaseModel):
    service: str | None
    overall: Scores
    moments: list[MomentIndicators]
    weeks: list[PeriodScores]
