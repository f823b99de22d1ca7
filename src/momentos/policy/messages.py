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
    "channel_unavailable": N_("The organization cannot send by %(channel_name)s: no server, provider or endpoint "
                              "is configured for it."),
    "channel_failed": N_("Sending by %(channel_name)s failed for good: %(failure_text)s."),
}

CHANNEL_NAMES: Mapping[str, str] = {
    "email": N_("e-mail"), "sms": N_("SMS"), "whatsapp": N_("WhatsApp"), "webhook": N_("webhook"),
    "phone": N_("phone"), "web": N_("web"), "app": N_("app"), "store": N_("store"), "social": N_("social media"),
    "chat": N_("chat"), "mail": N_("post"), "other": N_("other channel"),
}
"""Channel names inside a sentence (``%(channel)s``, ``%(channel_name)s``)."""

PURPOSE_NAMES: Mapping[str, str] = {
    "transactional": N_("transactional"), "status": N_("status"), "promise": N_("promise"), "survey": N_("survey"),
    "marketing": N_("marketing"), "service_recovery": N_("service recovery"), "staff_alert": N_("staff alert"),
}
"""Purposes inside a sentence (``%(purpose)s``: "No consent for survey messages…")."""

PERIOD_NAMES: Mapping[str, str] = {"day": N_("day"), "week": N_("week"), "month": N_("month")}
"""Periods of a frequency cap inside a sentence (``%(period)s``: "1 per day")."""

FAILURE_MESSAGES: Mapping[str, str] = {
    "no_provider": N_("no provider is configured for it"),
    "hard_bounce": N_("the mail server refused the address (hard bounce)"),
    "provider_rejected": N_("the provider refused the message or the number"),
    "receiver_rejected": N_("the webhook receiver refused the message"),
    "unsafe_url": N_("the webhook address is not allowed"),
    "rejected": N_("the message was refused"),
}
"""Kinds of permanent delivery failure (``%(failure_text)s``; see ``notify.channels.FAILURES``)."""


def channel_name(channel: str | None, lang: str) -> str:
    name = CHANNEL_NAMES.get(channel or "")
    return gettext(lang, name) if name else (channel or "")


def _named(names: Mapping[str, str], code: Any, lang: str) -> Any:
    name = names.get(str(code)) if code is not None else None
    return gettext(lang, name) if name else code


def _values(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The parameters with channel, purpose and period codes in words, plus the translated names of a channel and
    a failure: a sentence never shows a raw code."""
    values = dict(params)
    values["channel_name"] = channel_name(params.get("channel"), lang)
    for key, names in (("channel", CHANNEL_NAMES), ("purpose", PURPOSE_NAMES), ("period", PERIOD_NAMES)):
        if key in values:
            values[key] = _named(names, values[key], lang)
    failure = FAILURE_MESSAGES.get(str(params.get("failure")), FAILURE_MESSAGES["rejected"])
    values["failure_text"] = gettext(lang, failure)
    return values


def explain(code: str, params: Mapping[str, Any], lang: str) -> str:
    message = REASON_MESSAGES.get(code)
    if message is None:
        return code
    try:
        return gettext(lang, message) % _values(params, lang)
    except (KeyError, TypeError, ValueError):
        return gettext(lang, message)
