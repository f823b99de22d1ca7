"""What the service configuration page needs for its catalog forms: the touchpoint form (activities picked from
those seen in the service's events), the contact level override and the journey model choice — their defaults,
the messages of their errors, and the reading of a sent touchpoint form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.presets import BUILTIN_MODELS, DEFAULT_MODEL, JourneyModelDef
from momentos.catalog.schemas import CHANNELS, TouchpointCreate
from momentos.errors import MomentosError, NotFound
from momentos.events import service as events
from momentos.kit.i18n import N_
from momentos.models import Service, Touchpoint

LEVELS = ("high", "medium", "low")
INITIATORS = ("customer", "company")
INTENSITIES = ("none", "on_request", "proactive")
MAX_NEW_ACTIVITY = 200

PROBLEMS: dict[str, str] = {
    "moment": N_("Choose a moment of this service's journey model."),
    "channel": N_("Choose a channel from the list."),
    "initiator": N_("Choose who starts the contact."),
    "intensity": N_("Choose an intensity from the list."),
    "activities": N_("Choose at least one activity."),
    "activity_clash": N_("An activity can lead to only one moment: %(activities)s already lead to another one."),
    "names": N_("A name can have at most 200 characters."),
    "touchpoint_has_survey": N_("A survey is sent at this touchpoint (%(survey)s): remove the survey first."),
    "override_level": N_("Choose the level to use."),
    "override_reason": N_("Say why the level is set by hand (at most 2000 characters)."),
    "unknown_model": N_("Choose a journey model from the list."),
    "touchpoints_outside_model": N_("Some touchpoints lead to moments that model does not have (%(moments)s): "
                                    "edit or remove them first."),
}
"""Error code → message id (with its parameters filled in from the error's detail)."""


@dataclass
class Problem:
    """An error shown next to a field: the message id and its parameters."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return PROBLEMS[self.code]


@dataclass(frozen=True)
class MappingRow:
    """One moment of a journey model and the contact moments it stands for."""

    key: str
    name_es: str
    name_en: str
    maps_to: tuple[tuple[str, str, str], ...]
    """(key, name_es, name_en) of each of the 8 contact moments."""

    def name(self, language: str) -> str:
        return self.name_es if language == "es" else self.name_en


def mapping(model: JourneyModelDef) -> list[MappingRow]:
    """Each moment of the model with the contact moments (of the default model) it covers."""
    eight = BUILTIN_MODELS[DEFAULT_MODEL]
    return [MappingRow(m.key, m.name_es, m.name_en, tuple((k, eight.moment(k).name_es, eight.moment(k).name_en)
                                                          for k in (m.maps_to or (m.key,)) if eight.has(k)))
            for m in model.moments]


def touchpoint_values(tp: Touchpoint | None) -> dict[str, Any]:
    """The touchpoint form's values: a stored touchpoint's, or the empty form's."""
    if tp is None:
        return {"moment": "", "channel": "", "activities": [], "new_activity": "", "initiator": "customer",
                "intensity": "", "name_es": "", "name_en": ""}
    return {"moment": tp.moment, "channel": tp.channel, "activities": list(tp.activities), "new_activity": "",
            "initiator": tp.initiator, "intensity": tp.intensity or "", "name_es": tp.name_es, "name_en": tp.name_en}


def context(session: Session, org_id: int, service: Service, touchpoints: Sequence[Touchpoint],
            forms: Mapping[str, Any]) -> dict[str, Any]:
    """The page's catalog-form context; ``forms`` overrides the defaults (a sent form with its errors)."""
    editing = forms.get("editing")
    edited = next((tp for tp in touchpoints if tp.id == editing), None)
    models = catalog.list_journey_models(session, org_id)
    choice = forms.get("model_choice") or service.journey_model_key
    candidate = next((m for m in models if m.key == choice), None)
    seen = events.seen_activities(session, org_id, service.id)
    used = {a: tp.moment for tp in touchpoints for a in tp.activities}
    out: dict[str, Any] = {
        "editing": edited.id if edited else None, "tp_form": touchpoint_values(edited), "tp_errors": {},
        "seen_activities": seen, "used_activities": used, "channels": CHANNELS, "initiators": INITIATORS,
        "intensities": INTENSITIES, "levels": LEVELS,
        "override_form": {"level": service.level_override or "", "reason": service.override_reason or ""},
        "override_errors": {}, "models": models, "model_choice": candidate.key if candidate else "",
        "candidate": candidate, "candidate_mapping": mapping(candidate) if candidate else [],
        "current_mapping": mapping(catalog.get_journey_model(session, org_id, service.journey_model_key)),
        "model_error": None, "tp_delete_error": None}
    out.update({k: v for k, v in forms.items() if k in out and k not in ("editing", "model_choice")})
    return out


def read_touchpoint(form: Mapping[str, Any]) -> tuple[TouchpointCreate | None, dict[str, Problem]]:
    """The touchpoint of a sent form, or the errors of its fields."""
    activities = [a.strip() for a in form["activities"] if a.strip()]
    new = form["new_activity"].strip()[:MAX_NEW_ACTIVITY]
    if new and new not in activities:
        activities.append(new)
    try:
        data = TouchpointCreate.model_validate({
            "moment": form["moment"], "channel": form["channel"], "initiator": form["initiator"],
            "intensity": form["intensity"] or None, "activities": activities, "name_es": form["name_es"],
            "name_en": form["name_en"]})
    except ValidationError as exc:
        errors: dict[str, Problem] = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "activities"
            name = name if name in PROBLEMS else "activities"
            errors.setdefault(name, Problem(name))
        return None, errors
    if len(data.name_es) > MAX_NEW_ACTIVITY or len(data.name_en) > MAX_NEW_ACTIVITY:
        return None, {"names": Problem("names")}
    return data, {}


def touchpoint_problem(exc: MomentosError) -> dict[str, Problem]:
    """The field error of a refused touchpoint (a moment outside the model, an activity leading elsewhere)."""
    if isinstance(exc, NotFound):
        raise exc
    if exc.code == "activity_clash":
        clashes = exc.detail.get("activities") or {}
        return {"activities": Problem("activity_clash", {"activities": ", ".join(sorted(clashes))})}
    return {"moment": Problem("moment")}
