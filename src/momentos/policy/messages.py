"""Human-readable, translatable explanations of the decision reasons (message ids are English sentences)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from momentos.kit.i18n import N_, gettext

REASON_MESSAGES: Mapping[str, str] = {
    "do_not_contact": N_("The customer asked not to be contacted."),
    "unknown_purpose": N_("The purpose %(purpose)s is not known."),
    "intensity_none": N_("This moment has no proactive contact (contact intensity: none)."),
    "intensity_on_request": N_("In this moment the company only answers the customer (contact intensity: on request)."),
    "no_address": N_("No address for %(channel)s."),
    "channel_disabled": N_("The channel %(channel)s is disabled by the rules."),
    "no_consent": N_("No consent for %(purpose)s messages on %(channel)s."),
    "cap_reached": N_("Frequency cap reached on %(channel)s: %(limit)s per %(period)s (%(cap)s)."),
    "caps_bypassed": N_("Transactional message: frequency caps do not apply."),
    "quiet_hours": N_("Quiet hours in the customer's time zone: deferred to their end."),
    "allowed": N_("Allowed on %(channel)s."),
    "no_channel": N_("No channel is allowed for this contact."),
}


def explain(code: str, params: Mapping[str, Any], lang: str) -> str:
    message = REASON_MESSAGES.get(code)
    if message is None:
        return code
    try:
        return gettext(lang, message) % dict(params)
    except (KeyError, TypeError, ValueError):
        return gettext(lang, message)
