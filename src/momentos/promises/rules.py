"""The measurable rule of a promise, as stored (JSON) and validated (pydantic), and its compiled form.

Three families:

- ``time`` (also usable for any kind): the clock runs from the first ``start_activity`` to the first
  ``stop_activity`` after it, against ``target_hours`` of working time on an optional business calendar (or a due
  date read from a property of the start event, ``due_property``), stopped while paused (``pause_activities`` …
  ``resume_activities``). At risk from ``at_risk_fraction`` of the target (or when ``at_risk_hours_left`` remain).
- ``window`` (exchange, returns, payment terms): from ``start_activity`` the customer may act for
  ``window_hours``; a ``breach_activities`` event inside the window breaks the promise, otherwise it is kept when
  the window closes.
- ``score`` (quality, functionality): a ``score_property`` on a ``score_activity`` event at least
  ``min_score`` keeps it, below breaks it; a ``failure_activities`` event breaks it; with ``window_hours`` it is
  kept when the window closes without either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from momentos.promises.calendar import BusinessCalendar

KINDS: tuple[str, ...] = ("quality", "functionality", "time", "payment", "exchange", "returns", "other")
Activity = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarIn(BaseModel):
    """Working hours per weekday (``{"mon": [["09:00", "18:00"]], …}``; ``"00:00"`` as an end is midnight),
    holidays (ISO dates) and the IANA time zone."""

    model_config = ConfigDict(extra="forbid")
    timezone: str = "UTC"
    hours: dict[Weekday, list[tuple[HHMM, HHMM]]]
    holidays: list[date] = Field(default_factory=list, max_length=2000)

    @model_validator(mode="after")
    def _check(self) -> CalendarIn:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{self.timezone}'") from exc
        for windows in self.hours.values():
            for start, end in windows:
                if end != "00:00" and end <= start:
                    raise ValueError(f"working window {start}-{end} ends before it starts")
        if not any(self.hours.values()):
            raise ValueError("the calendar needs at least one working window")
        return self

    def compile(self) -> BusinessCalendar:
        hours = tuple(tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in self.hours.get(day) or [])
                      for day in WEEKDAYS)
        return BusinessCalendar(self.timezone, hours, frozenset(self.holidays))


def incomplete(code: str, message: str, field: str) -> PydanticCustomError:
    """A rule that misses something: the error names the field to fill (``ctx.field``) so a form can show the
    message beside it; the message stays the API's."""
    return PydanticCustomError(code, message, {"field": field})


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["time", "window", "score"] = "time"
    start_activity: Activity
    stop_activity: Activity | None = None
    target_hours: float | None = Field(default=None, gt=0, le=24 * 366 * 5)
    due_property: str | None = Field(default=None, max_length=200)
    at_risk_fraction: float | None = Field(default=0.8, gt=0, lt=1)
    at_risk_hours_left: float | None = Field(default=None, gt=0)
    calendar: CalendarIn | None = None
    pause_activities: list[Activity] = Field(default_factory=list, max_length=50)
    resume_activities: list[Activity] = Field(default_factory=list, max_length=50)
    window_hours: float | None = Field(default=None, gt=0, le=24 * 366 * 5)
    breach_activities: list[Activity] = Field(default_factory=list, max_length=50)
    score_activity: Activity | None = None
    score_property: str | None = Field(default=None, max_length=200)
    min_score: float | None = None
    failure_activities: list[Activity] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _check(self) -> RuleIn:
        if self.type == "time":
            if self.stop_activity is None:
                raise incomplete("time_rule_needs_stop", "a time rule needs a stop_activity", "stop_activity")
            if (self.target_hours is None) == (self.due_property is None):
                raise incomplete("time_rule_needs_target", "a time rule needs either target_hours or due_property",
                                 "target_hours")
            if self.pause_activities and not self.resume_activities:
                raise incomplete("pause_needs_resume", "pause_activities need resume_activities",
                                 "resume_activities")
        elif self.type == "window":
            if self.window_hours is None:
                raise incomplete("window_rule_needs_hours", "a window rule needs window_hours and "
                                 "breach_activities", "window_hours")
            if not self.breach_activities:
                raise incomplete("window_rule_needs_breach", "a window rule needs window_hours and "
                                 "breach_activities", "breach_activities")
        elif not self.failure_activities:
            for name in ("score_activity", "score_property", "min_score"):
                if getattr(self, name) is None:
                    raise incomplete(f"score_rule_needs_{name}", "a score rule needs score_activity, "
                                     "score_property and min_score, or failure_activities", name)
        return self

    def compile(self) -> Rule:
        return Rule(
            type=self.type, start=self.start_activity, stop=self.stop_activity,
            target_seconds=self.target_hours * 3600 if self.target_hours is not None else None,
            due_property=self.due_property, at_risk_fraction=self.at_risk_fraction,
            at_risk_seconds_left=self.at_risk_hours_left * 3600 if self.at_risk_hours_left is not None else None,
            calendar=self.calendar.compile() if self.calendar is not None else None,
            pauses=frozenset(self.pause_activities), resumes=frozenset(self.resume_activities),
            window_seconds=self.window_hours * 3600 if self.window_hours is not None else None,
            breaches=frozenset(self.breach_activities), score_activity=self.score_activity,
            score_property=self.score_property, min_score=self.min_score, failures=frozenset(self.failure_activities))


@dataclass(frozen=True)
class Rule:
    """The compiled rule ``evaluate`` works on."""

    type: str
    start: str
    stop: str | None = None
    target_seconds: float | None = None
    due_property: str | None = None
    at_risk_fraction: float | None = 0.8
    at_risk_seconds_left: float | None = None
    calendar: BusinessCalendar | None = None
    pauses: frozenset[str] = frozenset()
    resumes: frozenset[str] = frozenset()
    window_seconds: float | None = None
    breaches: frozenset[str] = frozenset()
    score_activity: str | None = None
    score_property: str | None = None
    min_score: float | None = None
    failures: frozenset[str] = frozenset()

    @property
    def activities(self) -> frozenset[str]:
        """Every activity whose events can change an instance of this rule."""
        named = {self.start, *(a for a in (self.stop, self.score_activity) if a)}
        return frozenset(named | self.pauses | self.resumes | self.breaches | self.failures)


def compile_rule(stored: dict[str, object]) -> Rule:
    return RuleIn.model_validate(stored).compile()
