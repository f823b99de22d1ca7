"""Lovelock's contact levels: an explainable assessment, and the defaults each level sets.

High contact: the customer is in the facility and takes an active part with staff (a restaurant, a hotel).
Medium: the customer visits but takes a limited part, or only drops off / picks up (a cinema, fast food).
Low: no physical contact; the service is delivered at arm's length (e-banking, an online shop, a call centre).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

Level = Literal["high", "medium", "low"]
Intensity = Literal["none", "on_request", "proactive"]
LEVELS: tuple[str, ...] = ("high", "medium", "low")
INTENSITIES: tuple[str, ...] = ("none", "on_request", "proactive")


class Assessment(BaseModel):
    """The answers that determine a service's contact level (all kept, so the level can be explained)."""

    model_config = ConfigDict(extra="forbid")

    presence: Literal["none", "partial", "full"]
    """Is the customer physically present in the facility? (partial: drops off or picks up)"""
    participation: Literal["none", "limited", "active"]
    """How actively does the customer take part with staff during the service?"""
    duration: Literal["short", "medium", "long"]
    """How long is the contact? (short < 5 min, medium < 30 min, long ≥ 30 min)"""
    people: Literal["face_to_face", "voice", "none"]
    """Which people does the customer deal with?"""
    facility: bool = False
    """Does the customer use the company's facility (premises, room, store)?"""
    equipment: bool = False
    """Does the customer handle the company's equipment (machines, terminals, vehicles)?"""


@dataclass(frozen=True)
class Reason:
    """A translatable explanation: a message id of the catalog plus whether it raises or lowers contact."""

    msgid: str
    effect: Literal["raises", "lowers", "neutral"]


@dataclass(frozen=True)
class LevelResult:
    level: Level
    score: int
    """0 (no contact at all) to 10 (fully present, active, face to face, long, facility and equipment)."""
    reasons: tuple[Reason, ...]


_PRESENCE = {"none": 0, "partial": 1, "full": 3}
_PARTICIPATION = {"none": 0, "limited": 1, "active": 2}
_DURATION = {"short": 0, "medium": 1, "long": 2}
_PEOPLE = {"none": 0, "voice": 0, "face_to_face": 1}


def assess(a: Assessment) -> LevelResult:
    """Derive the contact level from the answers, with the reasons that led to it."""
    score = (_PRESENCE[a.presence] + _PARTICIPATION[a.participation] + _DURATION[a.duration]
             + _PEOPLE[a.people] + int(a.facility) + int(a.equipment))
    reasons: list[Reason] = []
    if a.presence == "none":
        reasons.append(Reason("The customer is not physically present: contact happens at arm's length.", "lowers"))
        if a.people == "voice":
            reasons.append(Reason("Staff are reached by voice only.", "neutral"))
        return LevelResult("low", score, tuple(reasons))
    if a.presence == "partial":
        reasons.append(Reason("The customer only drops off or picks up.", "lowers"))
    else:
        reasons.append(Reason("The customer is present in the facility.", "raises"))
    if a.participation == "active":
        reasons.append(Reason("The customer takes an active part with staff.", "raises"))
    else:
        reasons.append(Reason("The customer takes a limited part with staff.", "lowers"))
    if a.people == "face_to_face":
        reasons.append(Reason("The customer deals with staff face to face.", "raises"))
    if a.duration == "long":
        reasons.append(Reason("The contact lasts a long time.", "raises"))
    if a.facility or a.equipment:
        reasons.append(Reason("The customer uses the company's facility or equipment.", "raises"))
    high = a.presence == "full" and a.participation == "active" and a.people == "face_to_face"
    return LevelResult("high" if high else "medium", score, tuple(reasons))


# Default contact intensity per level for each of the 8 contact moments.
DEFAULT_INTENSITY: dict[str, dict[str, Intensity]] = {
    "high": {"awareness": "on_request", "first_contact": "proactive", "consideration": "on_request",
             "purchase": "proactive", "delivery": "proactive", "use": "proactive", "support": "proactive",
             "loyalty": "proactive"},
    "medium": {"awareness": "on_request", "first_contact": "on_request", "consideration": "on_request",
               "purchase": "proactive", "delivery": "proactive", "use": "on_request", "support": "on_request",
               "loyalty": "proactive"},
    "low": {"awareness": "none", "first_contact": "on_request", "consideration": "on_request",
            "purchase": "proactive", "delivery": "proactive", "use": "none", "support": "on_request",
            "loyalty": "on_request"},
}

# Planned outbound (company-started) contacts per customer in a moment whose intensity is proactive,
# and the weekly cap per customer: low-contact services favour self-service and few messages.
PROACTIVE_BUDGET_PER_MOMENT = {"high": 3, "medium": 2, "low": 1}
WEEKLY_CAP = {"high": 5, "medium": 3, "low": 2}


def default_intensity(level: str, canonical_moment: str | None) -> Intensity:
    if canonical_moment is None:
        return "on_request"
    return DEFAULT_INTENSITY[level].get(canonical_moment, "on_request")


def contact_budget(level: str, intensity: str) -> int:
    """Planned outbound contacts per customer for one moment at this intensity."""
    if intensity == "proactive":
        return PROACTIVE_BUDGET_PER_MOMENT[level]
    return 0
