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
        "survey": N_("Surveys"), "marketing": N_("Marketing"), "staff_alert": N_("Staff alerts"),
        "*": N_("All purposes"),
    },
    "language": {"es": N_("Spanish"), "en": N_("English")},
    "consent_source": {"segment": N_("Segment or RudderStack SDK"), "cloudevents": N_("CloudEvents sender"),
                       "api": N_("Events API"), "admin": N_("Profile edit (admin)"), "page": N_("Page"),
                       "csv": N_("File import"), "xes": N_("File import")},
    "outcome": {"send": N_("Send"), "defer": N_("Defer"), "suppress": N_("Suppress")},
    "stage": {"request": N_("when asked for"), "send": N_("before sending"),
              "fallback": N_("after a delivery failure")},
    "attempt_outcome": {"sent": N_("Delivered"), "temporary_failure": N_("Temporary failure: retried"),
                        "permanent_failure": N_("Permanent failure: no channel left"),
                        "switched": N_("Permanent failure: switched channel")},
    "delivery": {"pending": N_("Queued"), "claimed": N_("Being sent"), "sent": N_("Delivered"),
                 "dead": N_("Failed"), "suppressed": N_("Not sent")},
    "promise_state": {"pending": N_("On track"), "at_risk": N_("At risk of delay"), "kept": N_("Kept"),
                      "broken": N_("Not kept")},
    "promise_kind": {"time": N_("Time"), "quality": N_("Quality"), "functionality": N_("Functionality"),
                     "payment": N_("Payment"), "exchange": N_("Exchange"), "returns": N_("Returns"),
                     "other": N_("Other")},
    "question_kind": {"csat": N_("Satisfaction (CSAT, 1–5)"), "nps": N_("Recommendation (NPS, 0–10)"),
                      "ces": N_("Effort (CES, 1–7)"), "text": N_("Free comment")},
    "sentiment": {"pos": N_("Positive"), "neu": N_("Neutral"), "neg": N_("Negative")},
    "key_kind": {"write": N_("Write (ingestion)"), "admin": N_("Admin (everything)")},
    "key_state": {"active": N_("Active"), "expiring": N_("Ends soon (rotated)"), "expired": N_("Expired"),
                  "revoked": N_("Revoked")},
    "person_state": {"active": N_("Active"), "disabled": N_("Disabled")},
    "role": {"owner": N_("Owner"), "manager": N_("Manager"), "analyst": N_("Analyst"), "agent": N_("Agent")},
    "status": {"pending": N_("Pending"), "claimed": N_("Being delivered"), "sent": N_("Sent"), "dead": N_("Dead"),
               "suppressed": N_("Suppressed")},
    "worker_status": {"alive": N_("Alive"), "late": N_("Late"), "dead": N_("Not responding"),
                      "stopped": N_("Stopped")},
    "job": {"notify.deliver": N_("Notification delivery"), "promises.clock": N_("Promise clock"),
            "listening.analyse": N_("Text analysis"), "listening.watch": N_("Early warning and needs"),
            "analytics.refresh": N_("Analytics aggregates")},
    "import_status": {"ok": N_("Imported"), "failed": N_("Failed")},
    "actor": {"cli": N_("Command line"), "user": N_("User"), "admin_key": N_("Admin key")},
    "audit_actor": {"user": N_("Person"), "key": N_("API key"), "cli": N_("Command line"),
                    "system": N_("Momentos itself")},
    "audit_action": {
        "journey_model.create": N_("Journey model created"), "service.create": N_("Service created"),
        "service.update": N_("Service changed"), "touchpoint.create": N_("Touchpoint added"),
        "contact_rules.set": N_("Contact rules changed"), "consent_mapping.set": N_("Consent mapping changed"),
        "promise.create": N_("Promise defined"), "promise.retire": N_("Promise retired"),
        "template.save": N_("Message template saved"), "template.delete": N_("Message template removed"),
        "webhook_endpoint.create": N_("Webhook endpoint added"),
        "webhook_endpoint.update": N_("Webhook endpoint changed"),
        "webhook_endpoint.rotate": N_("Webhook secret rotated"), "notification.replay": N_("Notification replayed"),
        "survey.create": N_("Survey defined"), "listening_settings.update": N_("Listening settings changed"),
        "need.update": N_("Need changed"), "need.merge": N_("Need merged"), "segment.create": N_("Segment defined"),
        "segment.update": N_("Segment changed"), "segment.delete": N_("Segment removed"),
        "import.run": N_("File imported"), "key.create": N_("API key created"), "key.revoke": N_("API key revoked"),
    },
    "question": {
        "presence": N_("Is the customer physically present in your facility?"),
        "participation": N_("How actively does the customer take part with your staff?"),
        "duration": N_("How long does the contact last?"),
        "people": N_("Which of your people does the customer deal with?"),
    },
    "answer_presence": {"none": N_("No: everything happens at a distance"),
                        "partial": N_("Only to drop off or pick up"), "full": N_("Yes, during the service")},
    "answer_participation": {"none": N_("Not at all"), "limited": N_("A little (limited part)"),
                             "active": N_("Actively, together with staff")},
    "answer_duration": {"short": N_("Short (under 5 minutes)"), "medium": N_("Medium (under 30 minutes)"),
                        "long": N_("Long (30 minutes or more)")},
    "answer_people": {"none": N_("Nobody (self-service)"), "voice": N_("Staff by voice (phone, call centre)"),
                      "face_to_face": N_("Staff face to face")},
    "drill": {"current": N_("Here now"), "reached": N_("Reached"), "progressed": N_("Moved on"),
              "dropped": N_("Did not move on"), "over_budget": N_("Over the contact budget"),
              "broken_promises": N_("Promises not kept")},
}


def message_id(kind: str, code: str) -> str | None:
    """The message id for a stored code, or None when the code has no label (shown as it is)."""
    return LABELS[kind].get(code)
