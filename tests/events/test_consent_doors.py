"""Consent and do-not-contact arrive the way clients send them: Segment's consent context (through the real
``segment-analytics-python`` client on a live server), native and CloudEvents identifies; each statement is kept
as evidence (source, message id, time), replay-safe, and governs the contact policy; refused traits are named."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.customers.schemas import ConsentChannel, ConsentPurpose
from momentos.models import Consent, ConsentEvent, Customer
from momentos.policy.engine import CHANNELS, PURPOSES
from tests.conftest import LiveServer, OrgHandle
from tests.events.test_segment_api import basic, segment_client
from tests.factories import make_service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
CE_URL = "/api/v1/cloudevents"
STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BATCHED = "application/cloudevents-batch+json"


def history(session: Session, org_id: int, external_id: str = "ana", *, exact: bool = True) -> list[tuple[Any, ...]]:
    """(channel, purpose, granted, source, message id, occurred_at) oldest first. With ``exact=False`` the time is
    to the minute: the real Segment client sends ``sentAt``, so a message's time is corrected for clock skew (by the
    milliseconds between the client's clock reading and the server's)."""
    rows = session.execute(
        select(ConsentEvent.channel, ConsentEvent.purpose, ConsentEvent.granted, ConsentEvent.source,
               ConsentEvent.message_id, ConsentEvent.occurred_at)
        .join(Customer, Customer.id == ConsentEvent.customer_id)
        .where(Customer.org_id == org_id, Customer.external_id == external_id)
        .order_by(ConsentEvent.occurred_at, ConsentEvent.id))
    return [tuple(r) if exact else (*r[:5], _minute(r[5])) for r in rows]


def _minute(at: datetime) -> datetime:
    return (at + timedelta(seconds=30)).replace(second=0, microsecond=0)


def current(session: Session, org_id: int, external_id: str = "ana") -> dict[tuple[str, str], tuple[bool, str]]:
    rows = session.execute(select(Consent.channel, Consent.purpose, Consent.granted, Consent.source)
                           .join(Customer, Customer.id == Consent.customer_id)
                           .where(Customer.org_id == org_id, Customer.external_id == external_id))
    return {(c, p): (g, s) for c, p, g, s in rows}


def marketing(url: str, org: OrgHandle, key: str) -> dict[str, Any]:
    """Ask for a marketing contact; the answer and the reasons of the stored decision."""
    body = {"customer": "ana", "purpose": "marketing", "subject": "Oferta", "text": "Hola", "dedup_key": key}
    r = httpx.post(f"{url}/api/v1/contacts", json=body, headers=org.admin)
    assert r.status_code == 202, r.text
    decisions = httpx.get(f"{url}/api/v1/customers/ana/contact-decisions", headers=org.admin).json()
    return {"status": r.json()["status"], "outcome": decisions[0]["outcome"], "channel": decisions[0]["channel"],
            "reasons": {x["code"] for x in decisions[0]["reasons"]}}


def send(live_server: LiveServer, org: OrgHandle, calls: Any) -> None:
    errors: list[Any] = []
    client = segment_client(org.keys.write_key, live_server.url, errors, sync_mode=True)
    calls(client)
    client.flush()
    assert errors == []


def test_consent_in_the_segment_context_is_stored_with_source_and_time_and_governs_marketing(
        live_server: LiveServer, shop_org: OrgHandle) -> None:
    org = shop_org
    send(live_server, org, lambda c: c.identify(
        "ana", {"email": "ana@example.com"}, timestamp=T0, message_id="i-1",
        context={"consent": {"categoryPreferences": {"Advertising": True, "Analytics": False}}}))
    assert live_server.read(lambda s: history(s, org.id, exact=False)) == [
        ("*", "marketing", True, "segment", "i-1", T0)]
    allowed = marketing(live_server.url, org, "offer-1")
    assert (allowed["status"], allowed["outcome"], allowed["channel"]) == ("pending", "send", "email")
    # Consent Management sends the context on every event: a withdrawal on a track counts, from its time.
    send(live_server, org, lambda c: c.track(
        "ana", "order_placed", {"process": "o-1"}, timestamp=T1, message_id="t-1",
        context={"consent": {"categoryPreferences": {"Advertising": False, "Analytics": False}}}))
    assert live_server.read(lambda s: history(s, org.id, exact=False))[-1] == (
        "*", "marketing", False, "segment", "t-1", T1)
    suppressed = marketing(live_server.url, org, "offer-2")
    assert (suppressed["status"], suppressed["outcome"]) == ("suppressed", "suppress")
    assert "no_consent" in suppressed["reasons"]


def test_segment_history_is_replay_safe_and_an_older_message_does_not_override_a_newer_one(
        live_server: LiveServer, shop_org: OrgHandle) -> None:
    org = shop_org

    def prefs(granted: bool) -> dict[str, Any]:
        return {"consent": {"categoryPreferences": {"Marketing": granted}}}

    def calls(c: Any) -> None:
        c.identify("ana", {}, timestamp=T1, message_id="new", context=prefs(False))
        c.track("ana", "signed_up", timestamp=T1 + timedelta(minutes=5), message_id="t-1", context=prefs(False))
        c.identify("ana", {}, timestamp=T0, message_id="old", context=prefs(True))  # late: older

    send(live_server, org, calls)
    send(live_server, org, calls)  # the same messages again (a client retry or a replay)
    assert live_server.read(lambda s: history(s, org.id, exact=False)) == [
        ("*", "marketing", True, "segment", "old", T0), ("*", "marketing", False, "segment", "new", T1)]
    assert live_server.read(lambda s: current(s, org.id)) == {("*", "marketing"): (False, "segment")}
    assert marketing(live_server.url, org, "offer")["status"] == "suppressed"


def test_do_not_contact_trait_and_protected_traits_through_segment(live_server: LiveServer,
                                                                    shop_org: OrgHandle) -> None:
    org = shop_org
    body = {"batch": [{"type": "identify", "userId": "ana", "messageId": "i-1", "timestamp": T0.isoformat(),
                       "traits": {"email": "ana@example.com", "do_not_contact": True, "consents": {"email": True},
                                  "external_id": "mallory"},
                       "context": {"consent": {"categoryPreferences": {"Advertising": True, "Newsletter": True}}}}]}
    r = httpx.post(f"{live_server.url}/v1/batch", json=body, headers=basic(org.keys.write_key))
    assert r.status_code == 200
    warnings = {w["code"]: w["detail"] for w in r.json()["warnings"]}
    assert r.json()["success"] is True
    assert sorted(warnings["protected_trait"]["traits"]) == ["consents", "external_id"]
    assert warnings["unknown_consent_category"]["categories"] == ["Newsletter"]
    customer = live_server.read(lambda s: s.scalars(select(Customer).where(Customer.org_id == org.id)).one())
    assert (customer.external_id, customer.do_not_contact, customer.do_not_contact_at) == ("ana", True, T0)
    assert not {"do_not_contact", "consents", "external_id"} & set(customer.traits)
    assert ("*", "do_not_contact", True, "segment", "i-1", T0) in live_server.read(lambda s: history(s, org.id))
    blocked = marketing(live_server.url, org, "offer")
    assert blocked["status"] == "suppressed" and "do_not_contact" in blocked["reasons"]
    body["batch"][0].update(messageId="i-2", timestamp=T1.isoformat(), traits={"doNotContact": False})
    assert httpx.post(f"{live_server.url}/v1/batch", json=body, headers=basic(org.keys.write_key)).status_code == 200
    assert live_server.read(lambda s: s.scalars(select(Customer.do_not_contact)
                                                 .where(Customer.org_id == org.id)).one()) is False
    assert marketing(live_server.url, org, "offer-2")["status"] == "pending"


def test_the_category_mapping_is_per_organization_and_admin_only(client: TestClient, db: Session,
                                                                 org: OrgHandle) -> None:
    assert client.put("/api/v1/consent-mapping", json={"categories": {"Ads": ["marketing"]}},
                      headers=org.writer).status_code == 403
    bad = client.put("/api/v1/consent-mapping", json={"categories": {"Ads": ["spam"]}}, headers=org.admin)
    assert bad.status_code == 422 and set(bad.json()) == {"code", "message", "detail"}
    r = client.put("/api/v1/consent-mapping", headers=org.admin,
                   json={"categories": {"Ads": ["marketing"], "Advertising": [], "Opinions": ["survey"]}})
    assert r.status_code == 200
    assert r.json()["categories"]["ads"] == ["marketing"] and r.json()["categories"]["advertising"] == []
    assert r.json()["custom"] == {"Ads": ["marketing"], "Advertising": [], "Opinions": ["survey"]}
    message = {"type": "identify", "userId": "ana", "messageId": "i-1", "timestamp": T0.isoformat(),
               "context": {"consent": {"categoryPreferences": {"ADS": True, "Advertising": False,
                                                               "opinions": True}}}}
    r = client.post("/v1/batch", json={"batch": [message]}, headers=basic(org.keys.write_key))
    assert r.json() == {"success": True}  # every category known: nothing to warn about
    assert current(db, org.id) == {("*", "marketing"): (True, "segment"), ("*", "survey"): (True, "segment")}


def test_native_identifies_carry_consents_and_do_not_contact(client: TestClient, db: Session,
                                                            org: OrgHandle) -> None:
    ident = {"customer": "ana", "timestamp": "2026-03-02T09:00:00Z", "message_id": "n-1",
             "traits": {"email": "ana@example.com", "consent": "yes"}, "do_not_contact": False,
             "consents": [{"channel": "email", "purpose": "marketing", "granted": True},
                          {"channel": "*", "purpose": "survey", "granted": False}]}
    r = client.post("/api/v1/events", headers=org.writer, json={"identifies": [ident]})
    assert r.status_code == 200
    assert r.json()["warnings"] == [{"code": "protected_trait", "message": r.json()["warnings"][0]["message"],
                                     "detail": {"customer": "ana", "message_id": "n-1", "traits": ["consent"]}}]
    assert current(db, org.id) == {("email", "marketing"): (True, "api"), ("*", "survey"): (False, "api")}
    assert client.post("/api/v1/events", headers=org.writer, json={"identifies": [ident]}).status_code == 200
    assert sorted(history(db, org.id)) == [("*", "do_not_contact", False, "api", "n-1", T0),
                                           ("*", "survey", False, "api", "n-1", T0),
                                           ("email", "marketing", True, "api", "n-1", T0)]
    read = client.get("/api/v1/customers/ana/consent-history", headers=org.admin).json()
    assert {(e["purpose"], e["source"], e["occurred_at"][:19]) for e in read} == {
        ("do_not_contact", "api", "2026-03-02T09:00:00"), ("survey", "api", "2026-03-02T09:00:00"),
        ("marketing", "api", "2026-03-02T09:00:00")}


def test_unknown_consent_channel_or_purpose_is_422_and_nothing_is_written(client: TestClient, db: Session,
                                                                          org: OrgHandle) -> None:
    for bad in ({"channel": "pigeon", "purpose": "marketing", "granted": True},
                {"channel": "email", "purpose": "spam", "granted": True},
                {"channel": "email", "purpose": "marketing", "granted": "maybe"}):
        r = client.post("/api/v1/events", headers=org.writer, json={"identifies": [
            {"customer": "ana", "timestamp": "2026-03-02T09:00:00Z", "consents": [bad]}]})
        assert r.status_code == 422, bad
        assert set(r.json()) == {"code", "message", "detail"}
        assert r.json()["detail"][0]["loc"][:3] == ["identifies", 0, "consents"]
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.org_id == org.id)) == 0


def test_cloudevents_identify_carries_consents_and_do_not_contact(client: TestClient, db: Session,
                                                                 org: OrgHandle) -> None:
    ce = {"specversion": "1.0", "id": "p-1", "source": "crm", "type": "momentos.identify", "subject": "ana",
          "time": "2026-03-02T09:00:00Z",
          "data": {"traits": {"email": "ana@example.com", "do_not_contact": True}, "do_not_contact": False,
                   "consents": [{"channel": "sms", "purpose": "status", "granted": False}]}}
    r = client.post(CE_URL, json=ce, headers={**org.writer, **STRUCTURED})
    assert r.status_code == 200 and r.json()["profiles"] == 1
    assert r.json()["warnings"][0]["detail"]["traits"] == ["do_not_contact"]
    assert current(db, org.id) == {("sms", "status"): (False, "cloudevents")}
    assert sorted(history(db, org.id)) == [("*", "do_not_contact", False, "cloudevents", "ce:crm#p-1", T0),
                                           ("sms", "status", False, "cloudevents", "ce:crm#p-1", T0)]
    ana = db.scalars(select(Customer).where(Customer.org_id == org.id)).one()
    assert (ana.email, ana.do_not_contact) == ("ana@example.com", False)
    ce["data"]["consents"] = [{"channel": "fax", "purpose": "status", "granted": False}]
    bad = client.post(CE_URL, json={**ce, "id": "p-2"}, headers={**org.writer, **STRUCTURED})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cloudevent"


def test_patch_records_history_and_erasure_deletes_it(client: TestClient, db: Session, org: OrgHandle) -> None:
    client.post("/api/v1/events", headers=org.writer, json={"identifies": [
        {"customer": "ana", "timestamp": "2026-03-02T09:00:00Z",
         "consents": [{"channel": "email", "purpose": "marketing", "granted": True}]}]})
    r = client.patch("/api/v1/customers/ana", headers=org.admin, json={
        "do_not_contact": True, "consents": [{"channel": "email", "purpose": "marketing", "granted": False}]})
    assert r.status_code == 200
    assert [(p, g, s) for _, p, g, s, _, _ in history(db, org.id)] == [
        ("marketing", True, "api"), ("marketing", False, "admin"), ("do_not_contact", True, "admin")]
    assert client.delete("/api/v1/customers/ana", headers=org.admin).status_code == 204
    assert db.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.org_id == org.id)) == 0


def test_consent_channels_and_purposes_are_the_policys() -> None:
    assert set(ConsentChannel.__args__) == {*CHANNELS, "*"}
    assert set(ConsentPurpose.__args__) == {*PURPOSES, "*"}


def test_bad_segment_consent_is_400_and_nothing_is_written(client: TestClient, db: Session, org: OrgHandle) -> None:
    for context, traits in (({"consent": {"categoryPreferences": {"Advertising": "yes"}}}, {}),
                            ({"consent": {"categoryPreferences": ["Advertising"]}}, {}),
                            ({}, {"do_not_contact": "please"})):
        message = {"type": "identify", "userId": "ana", "messageId": "i-1", "timestamp": T0.isoformat(),
                   "context": context, "traits": traits}
        r = client.post("/v1/batch", json={"batch": [message]}, headers=basic(org.keys.write_key))
        assert (r.status_code, r.json()["code"]) == (400, "invalid_message"), (context, traits)
        assert r.json()["detail"]["index"] == 0
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.org_id == org.id)) == 0


def test_a_cloudevents_batch_with_a_profile_names_the_bad_events_index_in_the_request(
        client: TestClient, db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    identify = {"specversion": "1.0", "id": "p-1", "source": "crm", "type": "momentos.identify", "subject": "ana",
                "data": {"consents": [{"channel": "*", "purpose": "marketing", "granted": True}]}}
    bad = {"specversion": "1.0", "id": "e-1", "source": "crm", "type": "order_placed", "customer": "ana",
           "moment": "nowhere"}
    r = client.post(CE_URL, json=[identify, bad], headers={**org.writer, "Content-Type": BATCHED})
    assert (r.status_code, r.json()["code"], r.json()["detail"]["index"]) == (400, "unknown_moment", 1)
    assert db.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.org_id == org.id)) == 0


def test_concurrent_statements_about_one_customer_all_succeed(live_server: LiveServer) -> None:
    org = live_server.new_org()

    def post(i: int) -> int:
        body = {"identifies": [{"customer": "ana", "timestamp": f"2026-03-02T09:00:0{i}Z", "message_id": f"n-{i}",
                                "consents": [{"channel": "email", "purpose": "marketing", "granted": i % 2 == 0}]}]}
        return httpx.post(f"{live_server.url}/api/v1/events", json=body, headers=org.writer, timeout=30).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(post, range(4))) == [200] * 4
    # whatever the order they committed in, the latest statement by time is in force
    assert live_server.read(lambda s: current(s, org.id)) == {("email", "marketing"): (False, "api")}
