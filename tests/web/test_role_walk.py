"""Every route of the app, for every role: one expectation table, derived from the README's role table.

Pages: each route needs one permission; a role without it gets the 403 page, a signed-out visitor is sent to
sign-in. The API: each route takes an admin key, or (ingestion only) a write key too. A route missing from the
tables fails the test, so a new page or API route must say who may use it.

Forms are sent without their form token: the role is checked before the form (allowed → 400 "form expired",
422, 404…; never 401/403), so the walk changes nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate
from momentos.models import Customer, Feedback, Need, Notification, WarningEpisode
from momentos.notify import outbox
from momentos.users import service as users
from tests.conftest import OrgHandle
from tests.web.dashboard_helpers import PASSWORD
from tests.web.seed import csrf_of, seed_journeys

# The README's table ("Dashboard, users and roles"): what each role may do.
MAY: dict[str, frozenset[str]] = {
    # owner: also keys, people, audit log
    "owner": frozenset({"customers", "record", "read", "configure", "operate", "administer"}),
    "manager": frozenset({"customers", "record", "read", "configure", "operate"}),
    "analyst": frozenset({"customers", "read"}),  # read everything, change nothing
    "agent": frozenset({"customers", "record"}),  # customers and processes only; records consents
}
ROLES = tuple(MAY)
PUBLIC, SIGNED_IN = "public", "signed_in"

# (method, path) of every page → the permission it needs: customers, read, configure, operate, administer;
# signed_in (any role); public (no sign-in: sign-in itself, the status and survey pages for customers, the API's
# docs).
PAGES: dict[tuple[str, str], str] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/orgs/switch"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,  # the services for readers; agents are sent on to /customers
    ("GET", "/overview"): "read",
    ("GET", "/services/{key}"): "read",
    ("GET", "/services/{key}/map"): "read",
    ("GET", "/services/{key}/map.pdf"): "read",
    ("GET", "/services/{key}/map/cell"): "read",
    ("GET", "/services/{key}/report.html"): "read",
    ("GET", "/services/{key}/indicators"): "read",
    ("GET", "/services/{key}/conformance"): "read",
    ("GET", "/customers"): "customers",
    ("GET", "/customers/{external_id:path}"): "customers",
    ("GET", "/customers/{external_id:path}/contact-decisions"): "customers",
    ("POST", "/customers/{external_id:path}/consents"): "record",
    ("GET", "/config"): "read",
    ("GET", "/config/services/{key}"): "read",
    ("POST", "/config/services/{key}/assessment"): "configure",
    ("POST", "/config/services/{key}/touchpoints"): "configure",
    ("POST", "/config/services/{key}/rules"): "configure",
    ("POST", "/config/services/{key}/contact"): "configure",
    ("POST", "/config/services/{key}/touchpoints/{touchpoint_id}"): "configure",
    ("POST", "/config/services/{key}/touchpoints/{touchpoint_id}/delete"): "configure",
    ("POST", "/config/services/{key}/override"): "configure",
    ("POST", "/config/services/{key}/journey-model"): "configure",
    ("POST", "/processes/{process_id}/status-link"): "customers",  # agents hand out status-page links
    ("POST", "/processes/{process_id}/status-link/revoke"): "customers",
    ("POST", "/processes/{process_id}/survey-link"): "customers",
    ("POST", "/processes/{process_id}/survey-link/revoke"): "customers",
    ("GET", "/config/contact-rules"): "read",
    ("POST", "/config/contact-rules"): "configure",
    ("GET", "/config/services/{key}/promises"): "read",
    ("POST", "/config/services/{key}/promises"): "configure",
    ("GET", "/config/surveys"): "read",
    ("POST", "/config/surveys"): "configure",
    ("GET", "/config/surveys/{survey_key}"): "read",
    ("POST", "/config/surveys/{survey_key}/items"): "configure",
    ("POST", "/config/surveys/{survey_key}/items/{item_key}"): "configure",
    ("POST", "/config/surveys/{survey_key}/items/{item_key}/delete"): "configure",
    ("GET", "/config/templates"): "read",
    ("POST", "/config/templates"): "configure",
    ("POST", "/config/templates/preview"): "configure",
    ("GET", "/config/segments"): "read",
    ("POST", "/config/segments"): "configure",
    ("POST", "/config/segments/{key}/delete"): "configure",
    ("GET", "/config/listening"): "read",
    ("POST", "/config/listening/ratings"): "configure",
    ("GET", "/listening/feedback"): "read",
    ("GET", "/listening/needs"): "read",
    ("GET", "/listening/needs/{need_id}"): "read",
    ("POST", "/listening/needs/merge"): "configure",
    ("POST", "/listening/needs/{need_id}/name"): "configure",
    ("POST", "/listening/needs/{need_id}/addressed"): "configure",
    ("GET", "/ops"): "read",
    ("GET", "/ops/mailbox"): "read",
    ("POST", "/ops/notifications/{notification_id}/replay"): "operate",
    ("POST", "/ops/notifications/replay-all"): "operate",
    ("GET", "/alerts/{episode_id}"): "read",
    ("POST", "/ops/imports"): "operate",
    ("GET", "/settings"): "administer",
    ("GET", "/settings/keys"): "administer",
    ("POST", "/settings/keys"): "administer",
    ("POST", "/settings/keys/{key_id}/revoke"): "administer",
    ("POST", "/settings/keys/{key_id}/rotate"): "administer",
    ("GET", "/settings/people"): "administer",
    ("POST", "/settings/people/{user_id}/{action}"): "administer",
    ("GET", "/settings/audit"): "administer",
    ("GET", "/s/{token}"): PUBLIC,
    ("POST", "/s/{token}/feedback"): PUBLIC,
    ("GET", "/f/{token}"): PUBLIC,
    ("POST", "/f/{token}"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
}

INGEST, ADMIN = "ingest", "admin"
# (method, path) of every API route → the key it takes: ingest (a write or an admin key) or admin (admin key only).
API: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/events"): INGEST,
    ("POST", "/api/v1/cloudevents"): INGEST,
    **{("POST", f"/v1/{kind}"): INGEST
       for kind in ("batch", "import", "track", "page", "screen", "identify", "group", "alias")},
    ("POST", "/api/v1/feedback"): INGEST,
    ("POST", "/api/v1/surveys/{survey_key}/responses"): INGEST,
    **{(m, p): ADMIN for m, p in (
        ("GET", "/api/v1/journey-models"), ("GET", "/api/v1/journey-models/{key}"), ("POST", "/api/v1/journey-models"),
        ("GET", "/api/v1/services"), ("POST", "/api/v1/services"), ("GET", "/api/v1/services/{key}"),
        ("PATCH", "/api/v1/services/{key}"), ("GET", "/api/v1/services/{key}/touchpoints"),
        ("POST", "/api/v1/services/{key}/touchpoints"), ("PUT", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"),
        ("DELETE", "/api/v1/services/{key}/touchpoints/{touchpoint_id}"),
        ("GET", "/api/v1/customers"), ("GET", "/api/v1/customers/{external_id}"),
        ("PATCH", "/api/v1/customers/{external_id}"), ("GET", "/api/v1/customers/{external_id}/consent-history"),
        ("GET", "/api/v1/consent-mapping"), ("PUT", "/api/v1/consent-mapping"),
        ("DELETE", "/api/v1/customers/{external_id}"), ("GET", "/api/v1/customers/{external_id}/export"),
        ("GET", "/api/v1/customers/{external_id}/timeline"),
        ("GET", "/api/v1/processes/{process_id}/events"), ("GET", "/api/v1/processes"),
        ("GET", "/api/v1/processes/{process_id}"),
        ("GET", "/api/v1/analytics/dfg"), ("GET", "/api/v1/analytics/performance-dfg"),
        ("GET", "/api/v1/analytics/start-end"), ("GET", "/api/v1/analytics/variants"),
        ("GET", "/api/v1/analytics/funnel"), ("GET", "/api/v1/analytics/time-in-moment"),
        ("GET", "/api/v1/analytics/indicators"), ("GET", "/api/v1/analytics/conformance"),
        ("PUT", "/api/v1/contact-rules/organization"), ("PUT", "/api/v1/contact-rules/services/{service_key}"),
        ("PUT", "/api/v1/contact-rules/customers/{external_id}"),
        ("GET", "/api/v1/customers/{external_id}/contact-decisions"),
        ("POST", "/api/v1/contacts"), ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/notifications/{notification_id}"), ("POST", "/api/v1/notifications/{notification_id}/replay"),
        ("GET", "/api/v1/webhook-endpoints"), ("POST", "/api/v1/webhook-endpoints"),
        ("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}"),
        ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate"),
        ("POST", "/api/v1/processes/{process_id}/status-token"),
        ("DELETE", "/api/v1/processes/{process_id}/status-token"),
        ("GET", "/api/v1/notification-templates"), ("PUT", "/api/v1/notification-templates/{purpose}/{language}"),
        ("DELETE", "/api/v1/notification-templates/{purpose}/{language}"),
        ("GET", "/api/v1/notification-templates/{purpose}/preview"),
        ("POST", "/api/v1/notification-templates/{purpose}/preview"),
        ("POST", "/api/v1/promises"), ("GET", "/api/v1/promises"), ("GET", "/api/v1/promises/indicators"),
        ("POST", "/api/v1/promises/score"), ("GET", "/api/v1/promises/{promise_key}"),
        ("DELETE", "/api/v1/promises/{promise_key}"), ("POST", "/api/v1/promises/{promise_key}/score"),
        ("GET", "/api/v1/promises/{promise_key}/instances"),
        ("POST", "/api/v1/surveys"), ("GET", "/api/v1/surveys"), ("GET", "/api/v1/surveys/{survey_key}"),
        ("PATCH", "/api/v1/surveys/{survey_key}"), ("POST", "/api/v1/surveys/{survey_key}/invitations"),
        ("GET", "/api/v1/listening/indicators"),
        ("GET", "/api/v1/feedback"), ("POST", "/api/v1/feedback/analysis"),
        ("GET", "/api/v1/needs"), ("PATCH", "/api/v1/needs/{need_id}"), ("POST", "/api/v1/needs/{need_id}/merge"),
        ("GET", "/api/v1/listening/alerts"), ("GET", "/api/v1/listening/settings"),
        ("PUT", "/api/v1/listening/settings"),
        ("GET", "/api/v1/ops/health"), ("POST", "/api/v1/ops/notifications/replay"),
        ("GET", "/api/v1/imports"), ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/segments"), ("POST", "/api/v1/segments"), ("GET", "/api/v1/segments/{segment_key}"),
        ("PATCH", "/api/v1/segments/{segment_key}"), ("DELETE", "/api/v1/segments/{segment_key}"),
        ("GET", "/api/v1/segments/{segment_key}/members"),
        ("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"), ("DELETE", "/api/v1/keys/{key_id}"),
        ("POST", "/api/v1/keys/{key_id}/rotate"),
    )},
}
API_PREFIXES = ("/api/", "/v1/")
QUERIES = {"/services/{key}/map/cell": "?moment=purchase&kind=reached"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app (HEAD aside); the only route without methods is /static."""
    found = set()
    for route in iter_route_contexts(app.routes):
        if not route.methods:
            assert route.path == "/static", route.path
            continue
        found.update((method, str(route.path)) for method in route.methods if method != "HEAD")
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def _seed(db: Session, org: OrgHandle) -> dict[str, str]:
    """A service, customers in several moments and a notification; the values for the paths' parameters."""
    seed_journeys(db, org.id)
    customer = db.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == "ana"))
    assert customer is not None
    outbox.enqueue(db, org.id, outbox.NotificationIn(customer, "transactional", "generic", "walk-n",
                                                     {"subject": "s", "text": "t"}), utcnow())
    notification = db.scalar(select(Notification.id).where(Notification.org_id == org.id))
    need = Need(org_id=org.id, label="walk", terms=[], created_at=utcnow(), updated_at=utcnow())
    db.add(need)
    db.flush()
    db.add(Feedback(org_id=org.id, kind="comment", source="api", customer_id=customer, text="walk", perception={},
                    occurred_at=utcnow(), created_at=utcnow(), need_id=need.id))
    episode = WarningEpisode(org_id=org.id, scope="organization", started_at=utcnow() - timedelta(hours=2),
                             last_hour_at=utcnow() - timedelta(hours=1), count=9, negatives=6, detail={},
                             created_at=utcnow())
    db.add(episode)
    db.flush()
    surveys.create_survey(db, org.id, SurveyCreate.model_validate({
        "key": "walk-survey", "title_es": "Paseo", "title_en": "Walk",
        "questions": [{"key": "image", "kind": "perception", "label": {"es": "Buena imagen", "en": "Good image"}}]}),
        utcnow(), actor=Actor.cli("tests"))
    return {"episode_id": str(episode.id),
            "key": "shop", "external_id": "ana", "notification_id": str(notification), "token": "no-such-token",
            "service_key": "shop", "process_id": "1", "endpoint_id": "1", "purpose": "status", "language": "es",
            "promise_key": "none", "survey_key": "walk-survey", "item_key": "none", "need_id": str(need.id),
            "segment_key": "none",
            "key_id": "999999999", "user_id": "999999999", "action": "disable",
            "touchpoint_id": "999999999"}


def _signed_in(client: TestClient, db: Session, org: OrgHandle, role: str) -> TestClient:
    """A client of its own (own cookies) signed in with the form as a user of ``role``."""
    email = f"walk-{role}-{org.slug}@example.com"
    user = users.create_user(db, email, PASSWORD, utcnow())
    users.add_membership(db, user.id, org.id, role, utcnow())
    browser = TestClient(client.app, raise_server_exceptions=False)
    token = csrf_of(browser.get("/login").text)
    r = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return browser


def _to_sign_in(status: int, location: str) -> bool:
    return status in (302, 303, 307) and location.startswith("/login")


def test_every_page_and_api_route_has_an_entry_in_the_tables(client: TestClient) -> None:
    found = routes_of(client.app)  # type: ignore[arg-type]
    pages = {r for r in found if not r[1].startswith(API_PREFIXES)}
    api = found - pages
    assert pages == set(PAGES), f"missing: {sorted(pages - set(PAGES))}; gone: {sorted(set(PAGES) - pages)}"
    assert api == set(API), f"missing: {sorted(api - set(API))}; gone: {sorted(set(API) - api)}"


def test_every_page_answers_each_role_as_the_role_table_says(client: TestClient, db: Session,
                                                             org: OrgHandle) -> None:
    values = _seed(db, org)
    browsers = {role: _signed_in(client, db, org, role) for role in ROLES}
    visitor = TestClient(client.app, raise_server_exceptions=False)
    wrong = []
    for (method, path), needs in sorted(PAGES.items()):
        url = _fill(path, values) + QUERIES.get(path, "")
        for who, browser in [*browsers.items(), ("signed_out", visitor)]:
            r = browser.request(method, url, follow_redirects=False)
            location = r.headers.get("location", "")
            if needs == PUBLIC:
                ok = r.status_code not in (401, 403)
            elif who == "signed_out":
                ok = _to_sign_in(r.status_code, location)
            elif needs == SIGNED_IN or needs in MAY[who]:
                ok = r.status_code not in (401, 403) and not _to_sign_in(r.status_code, location)
                ok = ok and (method != "GET" or r.status_code < 400)
            else:
                ok = r.status_code == 403 and "text/html" in r.headers.get("content-type", "")
            if not ok:
                wrong.append(f"{method} {path} as {who} (needs {needs}): {r.status_code} {location}")
    assert not wrong, "\n".join(wrong)


def test_agents_start_at_the_customers(client: TestClient, db: Session, org: OrgHandle) -> None:
    _seed(db, org)
    r = _signed_in(client, db, org, "agent").get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/customers"


def test_every_api_route_takes_the_key_kind_the_table_says(client: TestClient, db: Session,
                                                            org: OrgHandle) -> None:
    values = _seed(db, org)
    keys = {"no key": {}, "write key": org.writer, "admin key": org.admin}
    wrong = []
    for (method, path), needs in sorted(API.items()):
        url = _fill(path, values)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        for who, headers in keys.items():
            r = client.request(method, url, json=body, headers=headers)
            if who == "no key":
                ok = r.status_code == 401
            elif who == "write key" and needs == ADMIN:
                ok = r.status_code == 403 and r.json()["code"] == "admin_key_required"
            else:
                ok = r.status_code not in (401, 403)
            ok = ok and r.status_code < 500
            if not ok:
                wrong.append(f"{method} {path} with {who} (needs {needs}): {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)


def test_write_keys_can_only_ingest(client: TestClient) -> None:
    """The routes a write key may use are exactly the ingestion routes: events, feedback and survey answers."""
    ingest = {path for (_, path), needs in API.items() if needs == INGEST}
    assert ingest == {"/api/v1/events", "/api/v1/cloudevents", "/api/v1/feedback",
                      "/api/v1/surveys/{survey_key}/responses",
                      *(f"/v1/{kind}" for kind in ("batch", "import", "track", "page", "screen", "identify",
                                                   "group", "alias"))}
    assert all(method == "POST" for (method, _), needs in API.items() if needs == INGEST)
