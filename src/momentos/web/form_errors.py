"""A domain or pydantic error on a config form, turned into one precise message per form field.

The API answers bad input with ``{code, message, detail}``, ``detail`` listing pydantic's errors (``loc``, ``msg``,
``type``). A page calls the same service, so it gets the same errors; :func:`field_errors` maps each error's
location to the form field that holds it (``fields``: dotted location → field name, longest prefix wins; an error
raised on a whole model names its field in ``ctx.field``, a domain error in ``detail.field`` or by its ``detail``
keys) and its type to a translatable sentence. An error of a type not listed keeps the API's own message. The page
then shows each message beside its field, with what the user typed left in place (``field_error`` in
``_macros.html``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from momentos.errors import MomentosError
from momentos.kit.i18n import N_

GENERAL = "_form"
"""The key of an error that belongs to no field (shown above the form)."""

MESSAGES: Mapping[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("At most %(max_length)s characters."),
    "too_long": N_("At most %(max_length)s items."),
    "string_pattern_mismatch": N_("Use lower case letters, digits, hyphens and underscores."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "greater_than": N_("Enter a number greater than %(gt)s."),
    "greater_than_equal": N_("Enter a number of at least %(ge)s."),
    "less_than": N_("Enter a number less than %(lt)s."),
    "less_than_equal": N_("Enter a number of at most %(le)s."),
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "time_parsing": N_("Enter a time as HH:MM."),
    "time_type": N_("Enter a time as HH:MM."),
    # promises.rules: a rule that misses a part
    "time_rule_needs_stop": N_("A deadline needs the activity that stops the clock."),
    "time_rule_needs_target": N_("A deadline needs the hours it allows."),
    "pause_needs_resume": N_("Activities that pause the clock need activities that resume it."),
    "window_rule_needs_hours": N_("A window needs its length in hours."),
    "window_rule_needs_breach": N_("A window needs at least one activity that breaks it."),
    "score_rule_needs_score_activity": N_("A score rule needs the activity that carries the score (or failure "
                                          "activities)."),
    "score_rule_needs_score_property": N_("A score rule needs the property that holds the score (or failure "
                                          "activities)."),
    "score_rule_needs_min_score": N_("A score rule needs the lowest score that keeps the promise (or failure "
                                     "activities)."),
    "kind_needs_time_or_window": N_("A promise of this kind is measured with a deadline or a window."),
    "kind_needs_score_or_time": N_("A promise of this kind is measured with a score or a deadline."),
    # domain errors (their code)
    "promise_exists": N_("A promise with this key already exists."),
    "unknown_moment": N_("This moment is not in the service's journey model."),
    # listening.surveys: a question key used twice
    "duplicate_question_key": N_("This survey already has a question with this key."),
}


@dataclass(frozen=True)
class FieldError:
    """One message for one field: a message id (translated when shown) and its parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)


def _field_of(loc: tuple[str | int, ...], fields: Mapping[str, str]) -> str:
    parts = [str(p) for p in loc]
    for n in range(len(parts), 0, -1):
        if (name := fields.get(".".join(parts[:n]))) is not None:
            return name
    return GENERAL


def _message(kind: str, ctx: Mapping[str, Any], api_message: str) -> FieldError:
    if kind in MESSAGES:
        return FieldError(MESSAGES[kind], {k: v for k, v in ctx.items() if isinstance(v, int | float | str)})
    return FieldError(api_message.removeprefix("Value error, ").replace("%", "%%"))


def field_errors(exc: ValidationError | MomentosError, fields: Mapping[str, str]) -> dict[str, FieldError]:
    """Per form field, the first error about it (:data:`GENERAL` for those of no field)."""
    out: dict[str, FieldError] = {}
    if isinstance(exc, MomentosError):
        detail = exc.detail if isinstance(exc.detail, Mapping) else {}
        named = [str(detail["field"])] if "field" in detail else [str(k) for k in detail]
        name = next((fields[k] for k in named if k in fields), GENERAL)
        out[name] = _message(exc.code, detail, exc.message)
        return out
    for e in exc.errors():
        ctx = e.get("ctx") or {}
        loc = tuple(e["loc"]) + ((str(ctx["field"]),) if "field" in ctx else ())
        out.setdefault(_field_of(loc, fields), _message(e["type"], ctx, e["msg"]))
    return out
