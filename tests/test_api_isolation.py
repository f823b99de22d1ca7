"""Every API route is scoped to the caller's organization: another organization's ids give 404, never data."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.kit.clock import utcnow
from momentos.models import (
    ApiKey,
    Event,
    ImportRecord,
    Notification,
    NotificationTemplate,
    Process,
    Touchpoint,
    WebhookEndpoint,
)
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send

PROMISE = {"key": "secret-promise", "service": "private-shop", "moment": "purchase", "kind": "time",
           "text": {"es": "En 2 días", "en": "Within 2 days"},
           "rule": {"start_activity": "order_placed", "stop_activity": "order_delivered", "target_hours": 48}}
# (method, path template) → body, for every admin route that names a resource of the organization.
SCOPED = {
    ("GET", "/api/v1/journey-models/{key}"): None,
    ("GET", "/api/v1/services/{key}"): None,
    ("PATCH", "/api/v1/services/{key}"): {"name_en": "Stolen"},
    ("GET", "/api/v1/services/{key}/touchpoints"): None,
    ("POST", "/api/v1/services/{key}/touchpoints"): {"moment": "use", "channel": "web", "activities": ["x"],
                                                     "initiator": "customer"},
    ("PUT", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"): {"moment": "use", "channel": "web",
                                                                   "activities": ["x"], "initiator": "customer"},
    ("DELETE", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"): None,
    ("GET", "/api/v1/customers/{external_id}"): None,
    ("PATCH", "/api/v1/customers/{external_id}"): {"do_not_contact": True},
    ("DELETE", "/api/v1/customers/{external_id}"): None,
    ("GET", "/api/v1/customers/{external_id}/timeline"): None,
    ("GET", "/api/v1/customers/{external_id}/consent-history"): None,
    ("GET", "/api/v1/customers/{external_id}/export"): None,
    ("GET", "/api/v1/processes/{process_id}"): None,
    ("GET", "/api/v1/processes/{process_id}/events"): None,
    ("POST", "/api/v1/processes/{process_id}/status-token"): None,
    ("DELETE", "/api/v1/processes/{process_id}/status-token"): None,
    ("PUT", "/api/v1/contact-rules/services/{service_key}"): {"channel_order": ["email"]},
    ("PUT", "/api/v1/contact-rules/customers/{external_id}"): {"channel_order": ["email"]},
    ("GET", "/api/v1/customers/{external_id}/contact-decisions"): None,
    ("GET", "/api/v1/notifications/{notification_id}"): None,
    ("POST", "/api/v1/notifications/{notification_id}/replay"): None,
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate"): None,
    ("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}"): {"enabled": False, "rotate_secret": True},
    ("DELETE", "/api/v1/notification-templates/{purpose}/{language}"): None,
    ("GET", "/api/v1/notification-templates/{purpose}/preview"): None,
    ("POST", "/api/v1/contacts#process"): {"process_id": "{process_id}", "purpose": "status"},
    ("POST", "/api/v1/contacts"): {"customer": "victim", "purpose": "marketing", "subject": "Hi", "text": "Hello"},
    ("GET", "/api/v1/promises/{promise_key}"): None,
    ("DELETE", "/api/v1/promises/{promise_key}"): None,
    ("POST", "/api/v1/promises/{promise_key}/score"): {},
    ("GET", "/api/v1/promises/{promise_key}/instances"): None,
    ("POST", "/api/v1/promises/score"): {"promise": {**PROMISE, "key": "draft"}},
    ("GET", "/api/v1/surveys/{survey_key}"): None,
    ("PATCH", "/api/v1/surveys/{survey_key}"): {"title_en": "Stolen"},
    ("POST", "/api/v1/surveys/{survey_key}/invitations"): {"customer": "victim"},
    ("POST", "/api/v1/surveys/{survey_key}/responses"): {"nps": 0, "text": "stolen"},
    ("PATCH", "/api/v1/needs/{need_id}"): {"name": "Stolen", "addressed": True},
    ("POST", "/api/v1/needs/{need_id}/merge"): {"into": 1},
    ("GET", "/api/v1/segments/{segment_key}"): None,
    ("PATCH", "/api/v1/segments/{segment_key}"): {"name_en": "Stolen"},
    ("DELETE", "/api/v1/segments/{segment_key}"): None,
    ("GET", "/api/v1/segments/{segment_key}/members"): None,
    ("DELETE", "/api/v1/keys/{key_id}"): None,
    ("POST", "/api/v1/keys/{key_id}/rotate"): {"grace_seconds": 0},
}
# Analytics answer for the caller's organization; naming another organization's service is a 404.
FILTERED = ["/api/v1/analytics/dfg", "/api/v1/analytics/performance-dfg", "/api/v1/analytics/variants",
            "/api/v1/analytics/start-end", "/api/v1/analytics/funnel", "/api/v1/analytics/time-in-moment",
            "/api/v1/analytics/indicators", "/api/v1/listening/indicators"]
# Analytics that need a service (query ``service``): another organization's service is a 404.
SERVICE_NAMED = ["/api/v1/analytics/conformance"]
LISTS = ["/api/v1/services", "/api/v1/customers", "/api/v1/processes", "/api/v1/journey-models",
         "/api/v1/notifications", "/api/v1/webhook-endpoints", "/api/v1/notification-templates",
         "/api/v1/promises", "/api/v1/promises/indicators", "/api/v1/surveys", "/api/v1/feedback", "/api/v1/needs",
         "/api/v1/listening/alerts", "/api/v1/imports", "/api/v1/ops/health", "/api/v1/segments",
         "/api/v1/consent-mapping", "/api/v1/keys", "/api/v1/audit",
         *FILTERED]
# Routes that create in the caller's organization or change its own settings (no other organization's ids).
OWN = {("POST", "/api/v1/services"), ("POST", "/api/v1/journey-models"), ("POST", "/api/v1/events"),
       ("POST", "/api/v1/cloudevents"), ("PUT", "/api/v1/contact-rules/organization"),
       ("POST", "/api/v1/webhook-endpoints"), ("PUT", "/api/v1/notification-templates/{purpose}/{language}"),
       ("POST", "/api/v1/notification-templates/{purpose}/preview"), ("POST", "/api/v1/promises"),
       ("POST", "/api/v1/surveys"), ("POST", "/api/v1/feedback"), ("POST", "/api/v1/feedback/analysis"),
       ("GET", "/api/v1/listening/settings"), ("PUT", "/api/v1/listening/settings"), ("POST", "/api/v1/segments"),
       ("PUT", "/api/v1/consent-mapping"), ("POST", "/api/v1/keys"), ("POST", "/api/v1/ops/notifications/replay")}


def _seed(db: Session, org: OrgHandle) -> dict[str, str]:
    from momentos.catalog.schemas import JourneyModelCreate, MomentIn
    from momentos.catalog.service import create_journey_model

    make_service(db, org.id, key="private-shop")
    from momentos.promises import definitions
    from momentos.promises.schemas import PromiseCreate

    definitions.create(db, org.id, PromiseCreate.model_validate(PROMISE), actor=Actor.cli("tests"))
    create_journey_model(db, org.id, JourneyModelCreate(key="secret-model", name_es="x", name_en="x", moments=[
        MomentIn(key="a", name_es="a", name_en="a", maps_to=["awareness"]),
        MomentIn(key="b", name_es="b", name_en="b", maps_to=["purchase"])]), actor=Actor.cli("tests"))
    send(db, org.id, event("victim", "order_placed", 0), event("victim", "order_shipped", 5))
    pid = db.scalar(select(Process.id).where(Process.org_id == org.id))
    notification = db.scalar(select(Notification.id).where(Notification.org_id == org.id))
    endpoint = WebhookEndpoint(org_id=org.id, url="https://203.0.113.10/hook", secrets=["whsec_dGVzdA=="],
                               created_at=utcnow())
    db.add(endpoint)
    db.add(NotificationTemplate(org_id=org.id, purpose="status", moment="*", channel="*", language="es",
                                subject="victim", body="victim", updated_at=utcnow()))
    db.add(ImportRecord(org_id=org.id, file_name="victim.csv", format="csv", service="private-shop",
                        actor_kind="user", actor="victim@example.com", started_at=utcnow(), finished_at=utcnow(),
                        status="failed", error="victim.csv:2: bad row"))
    from momentos.customers import consent

    consent.set_mapping(db, org.id, {"victim-category": ["marketing"]}, actor=Actor.cli("tests"))
    db.flush()
    key_id = db.scalar(select(ApiKey.id).where(ApiKey.org_id == org.id, ApiKey.kind == "write"))
    return {"key": "private-shop", "service_key": "private-shop", "external_id": "victim", "process_id": str(pid),
            "notification_id": str(notification), "endpoint_id": str(endpoint.id), "purpose": "status",
            "language": "es", "promise_key": "secret-promise", "segment_key": _seed_segment(db, org),
            "key_id": str(key_id),
            "touchpoint_id": str(db.scalar(select(Touchpoint.id).where(Touchpoint.org_id == org.id))),
            **_seed_listening(db, org)}


def _seed_segment(db: Session, org: OrgHandle) -> str:
    from momentos.segments.schemas import SegmentCreate
    from momentos.segments.service import create_segment

    create_segment(db, org.id, SegmentCreate.model_validate({
        "key": "secret-segment", "name_es": "victim", "name_en": "victim",
        "rule": [{"field": "traits.plan", "op": "eq", "value": "victim"}]}), utcnow(), actor=Actor.cli("tests"))
    return "secret-segment"


def _request(template: str, ids: dict[str, str], body: object) -> tuple[str, dict[str, str], object]:
    """The URL, query and body of a covered route (a ``#label`` tells several bodies of one route apart)."""
    path = _url(template.split("#")[0], ids)
    params = {"process_id": ids["process_id"]} if path.endswith("/preview") else {}
    if isinstance(body, dict):
        body = {k: int(ids[v[1:-1]]) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    return path, params, body


def _seed_listening(db: Session, org: OrgHandle) -> dict[str, str]:
    from momentos.listening.surveys.schemas import SurveyCreate
    from momentos.listening.surveys.service import create_survey
    from momentos.models import Feedback, Need, WarningEpisode

    now = utcnow()
    create_survey(db, org.id, SurveyCreate.model_validate({
        "key": "private-survey", "title_es": "victim", "title_en": "victim", "service": "private-shop",
        "moment": "delivery", "questions": [{"key": "nps", "kind": "nps", "label": {"es": "x", "en": "x"}},
                                            {"key": "t", "kind": "text", "label": {"es": "x", "en": "x"}}]}), now,
                                                actor=Actor.cli("tests"))
    need = Need(org_id=org.id, label="victim need", terms=["victim"], created_at=now, updated_at=now)
    db.add(need)
    db.flush()
    db.add(Feedback(org_id=org.id, kind="survey", source="survey", text="victim says hi", nps=3, moment="delivery",
                    perception={}, occurred_at=now, created_at=now, sentiment="neg", need_id=need.id))
    db.add(WarningEpisode(org_id=org.id, scope="service:victim", started_at=now, last_hour_at=now, count=9,
                          negatives=9, detail={"victim": True}, created_at=now))
    db.flush()
    return {"survey_key": "private-survey", "need_id": str(need.id)}


def _url(template: str, ids: dict[str, str]) -> str:
    if template.startswith("/api/v1/journey-models/"):
        return template.replace("{key}", "secret-model")
    return template.format(**ids)


def test_every_api_route_is_covered_by_this_test(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(m.upper(), p) for p, methods in paths.items() if p.startswith("/api/v1") for m in methods}
    assert len(routes) > 30  # the enumeration itself works
    covered = {(m, p.split("#")[0]) for m, p in SCOPED} | {("GET", p) for p in LISTS} | OWN
    covered |= {("GET", p) for p in SERVICE_NAMED}
    assert routes <= covered, f"routes without an isolation test: {sorted(routes - covered)}"


def test_other_organizations_ids_give_404_and_change_nothing(db: Session, client: TestClient, org: OrgHandle,
                                                           other_org: OrgHandle) -> None:
    ids = _seed(db, org)
    for (method, template), body in SCOPED.items():
        path, params, body = _request(template, ids, body)
        r = client.request(method, path, params=params, headers=other_org.admin, json=body)
        assert r.status_code == 404, (method, template, r.status_code, r.text)
        assert set(r.json()) == {"code", "message", "detail"}
    # the owner still sees everything untouched
    r = client.get(f"/api/v1/customers/{ids['external_id']}", headers=org.admin)
    assert r.status_code == 200 and r.json()["do_not_contact"] is False
    assert client.get("/api/v1/services/private-shop", headers=org.admin).json()["name_en"] == "Private-Shop"
    endpoint = client.get("/api/v1/webhook-endpoints", headers=org.admin).json()
    assert [(e["active"], e["previous_expires_at"]) for e in endpoint] == [(True, None)]
    overrides = client.get("/api/v1/notification-templates", headers=org.admin).json()["overrides"]
    assert [o["subject"] for o in overrides] == ["victim"]
    assert client.get("/api/v1/segments/secret-segment", headers=org.admin).json()["name_en"] == "victim"
    assert {k["state"] for k in client.get("/api/v1/keys", headers=org.admin).json()} == {"active"}


def test_analytics_refuse_another_organizations_service(db: Session, client: TestClient, org: OrgHandle,
                                                        other_org: OrgHandle) -> None:
    _seed(db, org)
    for path in FILTERED:
        r = client.get(path, params={"service": "private-shop"}, headers=other_org.admin)
        assert r.status_code == 404, (path, r.status_code, r.text)
    for path in SERVICE_NAMED:
        r = client.get(path, params={"service": "private-shop"}, headers=other_org.admin)
        assert r.status_code == 404, (path, r.text)
    for path in FILTERED[:-1]:  # the analytics routes take a segment too
        r = client.get(path, params={"segment": "secret-segment"}, headers=other_org.admin)
        assert (r.status_code, r.json()["code"]) == (404, "segment_not_found"), (path, r.text)


def test_lists_show_only_the_callers_organization(db: Session, client: TestClient, org: OrgHandle,
                                                 other_org: OrgHandle) -> None:
    _seed(db, org)
    for path in LISTS:
        body = client.get(path, headers=other_org.admin).json()
        text = str(body)
        assert "private-shop" not in text and "victim" not in text and "secret-model" not in text, path
        assert "secret-promise" not in text, path


def test_writes_land_in_the_keys_organization_only(db: Session, client: TestClient, org: OrgHandle,
                                                  other_org: OrgHandle) -> None:
    _seed(db, org)
    before = db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org.id))
    r = client.post("/api/v1/events", headers=other_org.writer, json={"events": [
        {"message_id": "x1", "customer": "victim", "activity": "order_placed", "timestamp": "2026-03-02T10:00:00Z"}]})
    assert r.status_code == 200, r.text
    assert db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org.id)) == before
    assert db.scalar(select(func.count()).select_from(Event).where(Event.org_id == other_org.id)) == 1


def test_write_key_cannot_read_and_no_key_is_401(db: Session, client: TestClient, org: OrgHandle) -> None:
    ids = _seed(db, org)
    r = client.get("/api/v1/customers", headers=org.writer)
    assert (r.status_code, r.json()["code"]) == (403, "admin_key_required")
    assert client.get(f"/api/v1/processes/{ids['process_id']}").status_code == 401
    r = client.get("/api/v1/services", headers={"Authorization": "Bearer ma_not-a-key"})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_key")
