"""Display labels of stored codes (levels, intensities, channels…), marked for the message catalogs.

The values are English message ids; pages translate them with the ``label`` template function.
"""

from __future__ import annotations

from momentos.kit.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "level": {"high": N_("High contact"), "medium": N_("Medium contact"), "low": N_("Low contact")},
    "intensity": {"none": N_("No contact"), "on_request": N_("On request"), "proactive": N_("Proactive")},
    "initiator": {"customer": N_("Customer"), "company": N_("Company")},
    "started_by": {"customer": N_("Started by the customer"), "company": N_("Started by the company")},
    "effect": {"raises": N_("Raises contact"), "lowers": N_("Lowers contact"), "neutral": N_("Neutral")},
    "channel": {
        "web": N_("Web"), "app": N_("App"), "email": N_("Email"), "sms": N_("SMS"), "whatsapp": N_("WhatsApp"),
        "phone": N_("Phone"), "store": N_("Store"), "social": N_("Social media"), "chat": N_("Chat"),
        "webhook": N_("Webhook"), "mail": N_("Post"), "other": N_("Other"), "*": N_("All channels"),
    },
    "purpose": {
        "transactional": N_("Transactional"), "status": N_("Status updates"), "promise": N_("Promises"),
        "survey": N_("Surveys"), "marketing": N_("Marketing"), "*": N_("All purposes"),
    },
    "language": {"es": N_("Spanish"), "en": N_("English")},
    "outcome": {"send": N_("Send"), "defer": N_("Defer"), "suppress": N_("Suppress")},
    "stage": {"request": N_("when asked for"), "send": N_("before sending")},
    "delivery": {"pending": N_("Queued"), "claimed": N_("Being sent"), "sent": N_("Delivered"),
                 "dead": N_("Failed"), "suppressed": N_("Not sent")},
    "promise_state": {"pending": N_("On track"), "at_risk": N_("At risk of delay"), "kept": N_("Kept"),
                      "broken": N_("Not kept")},
}


def message_id(kind: str, code: str) -> str | None:
    """The message id for a stored code, or None when the code has no label (shown as it is)."""
    return LABELS[kind].get(code)
