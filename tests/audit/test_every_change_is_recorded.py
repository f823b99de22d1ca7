"""Every API route that changes an organization's configuration leaves exactly one audit entry, naming the calling
key, the action, the target and what changed (never a secret). The first test walks the app's routes: a new
POST/PUT/PATCH/DELETE under /api/v1 fails it until it is recorded (a case below) or exempted (with its reason)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.config import NotifySettings, Settings
from momentos.kit.clock import utcnow
from momentos.models import AuditEntry, Need, Notification, Touchpoint
from momentos.orgs.service import authenticate
from tests.conftest import OrgHandle
from tests.conftest import test_settings as settings_for_tests
from tests.factories import event, make_service, send

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT: dict[tuple[str, str], str] = {
    # ingestion: events, identities and consents sent by the organization's systems (the data, not its settings;
    # the Segment door, /v1/*, is outside /api/v1)
    ("POST", "/api/v1/events"): "ingestion",
    ("POST", "/api/v1/cloudevents"): "ingestion",
    ("POST", "/api/v1/feedback"): "ingestion of comments",
    ("POST", "/api/v1/surveys/{survey_key}/responses"): "ingestion of answers",
    # a customer's own data: their profile and their process's status link (erasure removes them with the customer)
    ("PATCH", "/api/v1/customers/{external_id}"): "customer's own data",
    ("POST", "/api/v1/processes/{process_id}/status-token"): "customer's own data",
    ("DELETE", "/api/v1/processes/{process_id}/status-token"): "customer's own data",
    # erasure is recorded by the privacy package
    ("DELETE", "/api/v1/customers/{external_id}"): "erasure",
    # a contact with one customer: the contact policy's decision log keeps each one with its reasons
    ("POST", "/api/v1/contacts"): "a contact, in the decision log",
    ("POST", "/api/v1/surveys/{survey_key}/invitations"): "a contact, in the decision log",
    # store nothing
    ("POST", "/api/v1/notification-templates/{purpose}/preview"): "a preview, nothing stored",
    ("POST", "/api/v1/promises/score"): "a score, nothing stored",
    ("POST", "/api/v1/promises/{promise_key}/score"): "a score, nothing stored",
    # queues work for the workers, changes no setting
    ("POST", "/api/v1/feedback/analysis"): "queues analysis, changes no setting",
}
EXEMPT_PREFIXES = ("/api/v1/keys", "/api/v1/users")
"""API keys and people record their own entries (tested with them)."""
HOOK = "https://203.0.113.10/hook?token=not-for-the-log"
PROMISE = {"key": "two-days", "service": "shop", "moment": "purchase", "kind": "time",
           "text": {"es": "En 2 días", "en": "Within 2 days"},
           "rule": {"start_activity": "order_placed", "stop_activity": "order_delivered", "target_hours": 48}}
SEGMENT = {"key": "vip", "name_es": "VIP", "name_en": "VIP",
           "rule": [{"field": "traits.plan", "op": "eq", "value": "vip"}]}
QUESTIONS = [{"key": "nps", "kind": "nps", "label": {"es": "x", "en": "x"}}]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    action: str
    target: str
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    """Fields the entry's ``before`` must hold (None: no ``before`` at all; ``{}``: not checked)."""
    after: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[TestClient, Session, OrgHandle], None] | None = None


def _admin(client: TestClient, org: OrgHandle, method: str, path: str, body: Any = None,
           params: dict[str, str] | None = None) -> Any:
    r = client.request(method, path, headers=org.admin, json=body, params=params)
    assert r.status_code < 300, (method, path, r.status_code, r.text)
    return r.json() if r.content else None


def _endpoint(client: TestClient, _db: Session, org: OrgHandle) -> None:
    _admin(client, org, "POST", "/api/v1/webhook-endpoints", {"url": HOOK})


def _template(client: TestClient, _db: Session, org: OrgHandle) -> None:
    _admin(client, org, "PUT", "/api/v1/notification-templates/status/es", {"subject": "Hola", "body": "Va"})


def _promise(client: TestClient, _db: Session, org: OrgHandle) -> None:
    _admin(client, org, "POST", "/api/v1/promises", PROMISE)


def _segment(client: TestClient, _db: Session, org: OrgHandle) -> None:
    _admin(client, org, "POST", "/api/v1/segments", SEGMENT)


def _survey(client: TestClient, _db: Session, org: OrgHandle) -> None:
    _admin(client, org, "POST", "/api/v1/surveys", {"key": "after-delivery", "title_es": "¿Qué tal?",
                                                    "title_en": "How was it?", "questions": QUESTIONS})


def _dead_notification(_client: TestClient, db: Session, org: OrgHandle) -> None:
    send(db, org.id, event("ana", "order_placed", 0), event("ana", "order_shipped", 5))
    n = db.scalars(select(Notification).where(Notification.org_id == org.id)).first()
    assert n is not None
    n.status = "dead"
    db.flush()


def _needs(_client: TestClient, db: Session, org: OrgHandle) -> None:
    now = utcnow()
    db.add_all([Need(org_id=org.id, label=label, terms=[label], created_at=now, updated_at=now)
                for label in ("late", "slow")])
    db.flush()


def _customer(_client: TestClient, db: Session, org: OrgHandle) -> None:
    send(db, org.id, event("ana", "order_placed", 0))


CASES = [
    Case("POST", "/api/v1/journey-models", "journey_model.create", "journey_model:stay", body={
        "key": "stay", "name_es": "Estancia", "name_en": "Stay", "moments": [
            {"key": "book", "name_es": "Reserva", "name_en": "Booking", "maps_to": ["purchase"]},
            {"key": "sleep", "name_es": "Noche", "name_en": "Night", "maps_to": ["use"]}]},
         after={"moments": ["book", "sleep"]}),
    Case("POST", "/api/v1/services", "service.create", "service:hotel", body={
        "key": "hotel", "name_es": "Hotel", "name_en": "Hotel", "assessment": {
            "presence": "full", "participation": "active", "duration": "long", "people": "face_to_face"}},
         after={"name_en": "Hotel", "journey_model": "contact-moments-8"}),
    Case("PATCH", "/api/v1/services/shop", "service.update", "service:shop",
         body={"level_override": "high", "override_reason": "Advisers call every customer"},
         before={"level_override": None, "contact_level": "low"},
         after={"level_override": "high", "override_reason": "Advisers call every customer", "contact_level": "high"}),
    Case("POST", "/api/v1/services/shop/touchpoints", "touchpoint.create", "service:shop/touchpoint:",
         body={"moment": "use", "channel": "email", "activities": ["tip_sent"], "initiator": "company"},
         after={"moment": "use", "channel": "email", "activities": ["tip_sent"]}),
    Case("PUT", "/api/v1/services/shop/touchpoints/{touchpoint_id}", "touchpoint.update", "service:shop/touchpoint:",
         body={"moment": "use", "channel": "email", "activities": ["tip_sent"], "initiator": "company"},
         before={"channel": "web"}, after={"channel": "email", "activities": ["tip_sent"]}),
    Case("DELETE", "/api/v1/services/shop/touchpoints/{touchpoint_id}", "touchpoint.delete", "service:shop/touchpoint:",
         before={"moment": "awareness"}),
    Case("PUT", "/api/v1/contact-rules/organization", "contact_rules.set", "contact_rules:org",
         body={"caps": {"*": {"week": 2}}}, before={}, after={"caps": {"*": {"week": 2}}}),
    Case("PUT", "/api/v1/contact-rules/services/shop", "contact_rules.set", "contact_rules:service:shop",
         body={"channel_order": ["email"]}, before={}, after={"channel_order": ["email"]}),
    Case("PUT", "/api/v1/contact-rules/customers/ana", "contact_rules.set", "contact_rules:customer:",
         body={"channel_order": ["sms"]}, before={}, after={"channel_order": ["sms"]}, prepare=_customer),
    Case("PUT", "/api/v1/consent-mapping", "consent_mapping.set", "consent_mapping",
         body={"categories": {"newsletter": ["marketing"]}}, before={}, after={"newsletter": ["marketing"]}),
    Case("POST", "/api/v1/promises", "promise.create", "promise:two-days", body=PROMISE,
         after={"service": "shop", "moment": "purchase", "kind": "time"}),
    Case("DELETE", "/api/v1/promises/two-days", "promise.retire", "promise:two-days", before={"active": True},
         after={"active": False}, prepare=_promise),
    Case("PUT", "/api/v1/notification-templates/status/es", "template.save", "template:status/*/*/es",
         body={"subject": "Tu pedido", "body": "Va en camino"}, before={},
         after={"subject": "Tu pedido", "body": "Va en camino"}),
    Case("DELETE", "/api/v1/notification-templates/status/es", "template.delete", "template:status/*/*/es",
         before={"subject": "Hola", "body": "Va"}, prepare=_template),
    Case("POST", "/api/v1/webhook-endpoints", "webhook_endpoint.create", "webhook_endpoint:", body={"url": HOOK},
         after={"url": "https://203.0.113.10/hook", "active": True}),
    Case("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}", "webhook_endpoint.update", "webhook_endpoint:",
         body={"enabled": False, "rotate_secret": True, "grace_seconds": 60}, before={"active": True},
         after={"active": False, "rotated": True, "grace_seconds": 60}, prepare=_endpoint),
    Case("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate", "webhook_endpoint.rotate", "webhook_endpoint:",
         params={"grace_seconds": "0"}, after={"grace_seconds": 0}, prepare=_endpoint),
    Case("POST", "/api/v1/notifications/{notification_id}/replay", "notification.replay", "notification:",
         before={"status": "dead"}, after={"status": "pending"}, prepare=_dead_notification),
    Case("POST", "/api/v1/ops/notifications/replay", "notification.replay", "notification:", body={"status": "dead"},
         before={"status": "dead"}, after={"status": "pending"}, prepare=_dead_notification),
    Case("POST", "/api/v1/surveys", "survey.create", "survey:after-delivery", body={
        "key": "after-delivery", "title_es": "¿Qué tal?", "title_en": "How was it?", "service": "shop",
        "moment": "delivery", "questions": QUESTIONS}, after={"service": "shop", "moment": "delivery"}),
    Case("PATCH", "/api/v1/surveys/after-delivery", "survey.update", "survey:after-delivery",
         body={"title_en": "How did it go?"}, before={"title_en": "How was it?"}, after={"title_en": "How did it go?"},
         prepare=_survey),
    Case("PUT", "/api/v1/listening/settings", "listening_settings.update", "listening_settings",
         body={"alert_email": "alerts@example.com"}, before={"alert_email": None},
         after={"alert_email": "alerts@example.com"}),
    Case("PATCH", "/api/v1/needs/{need_id}", "need.update", "need:", body={"name": "Late parcels", "addressed": True},
         before={"name": None, "addressed": False}, after={"name": "Late parcels", "addressed": True}, prepare=_needs),
    Case("POST", "/api/v1/needs/{need_id}/merge", "need.merge", "need:", body={"into": "{other_need_id}"},
         before={"merged_into": None}, prepare=_needs),
    Case("POST", "/api/v1/segments", "segment.create", "segment:vip", body=SEGMENT, after={"name_en": "VIP"}),
    Case("PATCH", "/api/v1/segments/vip", "segment.update", "segment:vip", body={"name_en": "Very important"},
         before={"name_en": "VIP"}, after={"name_en": "Very important"}, prepare=_segment),
    Case("DELETE", "/api/v1/segments/vip", "segment.delete", "segment:vip", before={"name_en": "VIP"},
         prepare=_segment),
]
CASE_ROUTES = {
    ("POST", "/api/v1/journey-models"), ("POST", "/api/v1/services"), ("PATCH", "/api/v1/services/{key}"),
    ("POST", "/api/v1/services/{key}/touchpoints"), ("PUT", "/api/v1/contact-rules/organization"),
    ("PUT", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"),
    ("DELETE", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"),
    ("PUT", "/api/v1/contact-rules/services/{service_key}"), ("PUT", "/api/v1/contact-rules/customers/{external_id}"),
    ("PUT", "/api/v1/consent-mapping"), ("POST", "/api/v1/promises"), ("DELETE", "/api/v1/promises/{promise_key}"),
    ("PUT", "/api/v1/notification-templates/{purpose}/{language}"),
    ("DELETE", "/api/v1/notification-templates/{purpose}/{language}"), ("POST", "/api/v1/webhook-endpoints"),
    ("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}"), ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate"),
    ("POST", "/api/v1/notifications/{notification_id}/replay"), ("POST", "/api/v1/ops/notifications/replay"),
    ("POST", "/api/v1/surveys"), ("PATCH", "/api/v1/surveys/{survey_key}"),
    ("PUT", "/api/v1/listening/settings"), ("PATCH", "/api/v1/needs/{need_id}"),
    ("POST", "/api/v1/needs/{need_id}/merge"), ("POST", "/api/v1/segments"),
    ("PATCH", "/api/v1/segments/{segment_key}"), ("DELETE", "/api/v1/segments/{segment_key}"),
}
"""The route (method, path template) each case calls."""


@pytest.fixture
def app_settings() -> Settings:
    return settings_for_tests(notify=NotifySettings(webhook_allow=["203.0.113.0/24"]))


def test_every_config_route_is_recorded_or_exempted(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    writes = {(m.upper(), p) for p, methods in paths.items() if p.startswith("/api/v1") for m in methods
              if m.upper() in WRITES and not p.startswith(EXEMPT_PREFIXES)}
    assert len(writes) > 30  # the enumeration itself works
    assert len(CASES) == len(CASE_ROUTES)
    unaccounted = writes - CASE_ROUTES - set(EXEMPT)
    assert not unaccounted, f"routes that change something without an audit case or exemption: {sorted(unaccounted)}"
    assert not (CASE_ROUTES & set(EXEMPT))
    assert writes >= CASE_ROUTES and set(EXEMPT) <= writes, "a case or exemption names a route that is gone"


def _ids(db: Session, org: OrgHandle) -> dict[str, str]:
    from momentos.models import WebhookEndpoint

    endpoint = db.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.org_id == org.id))
    notification = db.scalar(select(Notification.id).where(Notification.org_id == org.id))
    needs = list(db.scalars(select(Need.id).where(Need.org_id == org.id).order_by(Need.id)))
    touchpoint = db.scalar(select(Touchpoint.id).where(Touchpoint.org_id == org.id).order_by(Touchpoint.id))
    return {"endpoint_id": str(endpoint), "notification_id": str(notification), "touchpoint_id": str(touchpoint),
            "need_id": str(needs[0]) if needs else "", "other_need_id": str(needs[1]) if len(needs) > 1 else ""}


def _holds(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(name in got and got[name] == value for name, value in expected.items())


def _count(db: Session, org_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.org_id == org_id)) or 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.action)
def test_a_config_change_leaves_one_entry_naming_the_key(db: Session, client: TestClient, org: OrgHandle,
                                                         case: Case) -> None:
    make_service(db, org.id)
    if case.prepare is not None:
        case.prepare(client, db, org)
    ids = _ids(db, org)
    body = case.body
    if isinstance(body, dict):
        body = {k: int(ids[v[1:-1]]) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    start = _count(db, org.id)
    _admin(client, org, case.method, case.path.format(**ids), body, case.params)

    assert _count(db, org.id) == start + 1, case.action
    entry = db.scalars(select(AuditEntry).where(AuditEntry.org_id == org.id).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    principal = authenticate(db, org.keys.admin_key)
    assert principal is not None
    assert (entry.actor_kind, entry.actor_id) == ("key", principal.key_id)
    assert principal.key_prefix in entry.actor_label
    assert entry.action == case.action
    assert entry.target.startswith(case.target), entry.target
    if case.before is None:
        assert entry.before is None
    else:
        assert entry.before is not None and _holds(entry.before, case.before), entry.before
    assert _holds(entry.after or {}, case.after), entry.after
    text = str(entry.before) + str(entry.after)
    assert "whsec_" not in text and "not-for-the-log" not in text  # no signing secret, no URL credentials


def test_updates_record_only_the_fields_that_changed(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    _admin(client, org, "PATCH", "/api/v1/services/shop", {"name_en": "Web shop"})
    entry = db.scalars(select(AuditEntry).where(AuditEntry.org_id == org.id).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "service.update"
    assert (entry.before, entry.after) == ({"name_en": "Shop"}, {"name_en": "Web shop"})


def test_a_refused_change_leaves_no_entry(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    start = _count(db, org.id)
    r = client.patch("/api/v1/services/shop", headers=org.admin, json={"level_override": "high"})
    assert r.status_code == 422
    r = client.post("/api/v1/webhook-endpoints", headers=org.admin, json={"url": "http://10.0.0.7/hook"})
    assert r.status_code == 422
    r = client.put("/api/v1/contact-rules/organization", headers=org.writer, json={"caps": {"*": {"week": 1}}})
    assert r.status_code == 403
    assert _count(db, org.id) == start
