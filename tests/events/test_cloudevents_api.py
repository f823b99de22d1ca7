"""The CloudEvents 1.0 door, fed with requests built by the real ``cloudevents`` SDK (its ``core`` API)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings.http import HTTPMessage, to_binary_event, to_structured_event
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v03.event import CloudEvent as CloudEventV03
from cloudevents.core.v1.event import CloudEvent
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.models import Event, Process
from tests.conftest import LiveServer, OrgHandle
from tests.events.test_segment_api import counts
from tests.factories import make_service

URL = "/api/v1/cloudevents"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def cloud_event(event_id: str = "e-1", kind: str = "order_placed", data: Any = None, *,
                source: str = "/shop/orders", **extensions: Any) -> CloudEvent:
    attributes = {"type": kind, "source": source, "id": event_id, "time": T0, **extensions}
    return CloudEvent(attributes, data)


def batched(*events: CloudEvent) -> HTTPMessage:
    """Batched content mode: the SDK writes each event in the JSON format; the batch is their JSON array."""
    body = b"[" + b",".join(JSONFormat().write(e) for e in events) + b"]"
    return HTTPMessage(headers={"content-type": "application/cloudevents-batch+json"}, body=body)


def post(client: TestClient, message: HTTPMessage, org: OrgHandle) -> Any:
    return client.post(URL, content=message.body, headers={**message.headers, **org.writer})


def stored(db: Session, org_id: int) -> list[tuple[Any, ...]]:
    rows = db.execute(select(Event.message_id, Event.activity, Event.moment, Event.timestamp, Event.source,
                             Event.properties).where(Event.org_id == org_id).order_by(Event.id))
    return [tuple(r) for r in rows]


@pytest.fixture
def shop(db: Session, org: OrgHandle) -> OrgHandle:
    make_service(db, org.id)
    return org


def test_structured_event_from_the_sdk_is_stored_on_a_live_server(live_server: LiveServer) -> None:
    org = live_server.new_org()
    live_server.read(lambda s: make_service(s, org.id))
    message = to_structured_event(cloud_event(data={"process": "order-1", "total": 30}, customer="ana"))
    r = httpx.post(live_server.url + URL, content=message.body, headers={**message.headers, **org.writer})
    assert r.status_code == 200
    assert r.json() == {"accepted": 1, "duplicates": 0, "dropped_erased": 0, "profiles": 0}
    rows = live_server.read(lambda s: stored(s, org.id))
    assert rows == [("ce:/shop/orders#e-1", "order_placed", "purchase", T0, "cloudevents",
                     {"process": "order-1", "total": 30})]
    refs = live_server.read(lambda s: s.scalars(select(Process.reference).where(Process.org_id == org.id)).all())
    assert list(refs) == ["order-1"]


def test_binary_mode_reads_extensions_from_ce_headers(client: TestClient, db: Session, shop: OrgHandle) -> None:
    event = cloud_event("b-1", "ticket_opened", {"text": "¿Dónde está mi pedido?"}, subject="ana",
                        moment="support", process="claim-7", channel="whatsapp")
    r = post(client, to_binary_event(event), shop)
    assert (r.status_code, r.json()["accepted"]) == (200, 1)
    e = db.scalars(select(Event).where(Event.org_id == shop.id)).one()
    assert (e.message_id, e.activity, e.moment, e.channel, e.properties) == (
        "ce:/shop/orders#b-1", "ticket_opened", "support", "whatsapp", {"text": "¿Dónde está mi pedido?"})
    assert db.scalar(select(Process.reference).where(Process.id == e.process_id)) == "claim-7"


def test_batched_mode_stores_every_event_and_a_replay_is_all_duplicates(client: TestClient, db: Session,
                                                                        shop: OrgHandle) -> None:
    message = batched(cloud_event("1", "signed_up", {"customer": "ana"}),
                      cloud_event("2", "order_placed", {"customer": "ana", "process": "o-1"}),
                      cloud_event("3", "signed_up", subject="bea"))
    first, again = post(client, message, shop), post(client, message, shop)
    assert (first.status_code, first.json()["accepted"]) == (200, 3)
    assert (again.status_code, again.json()["accepted"], again.json()["duplicates"]) == (200, 0, 3)
    assert counts(db, shop.id) == (3, 2, 3)


def test_dedup_is_by_source_and_id(client: TestClient, db: Session, org: OrgHandle) -> None:
    results = [post(client, to_structured_event(e), org).json() for e in (
        cloud_event("same", data={"v": 1}, customer="ana"),
        cloud_event("same", data={"v": 2}, customer="ana"),  # a resend: same source and id
        cloud_event("same", data={"v": 3}, customer="ana", source="/billing"))]
    assert [(r["accepted"], r["duplicates"]) for r in results] == [(1, 0), (0, 1), (1, 0)]
    assert [row[0] for row in stored(db, org.id)] == ["ce:/shop/orders#same", "ce:/billing#same"]
    assert [row[5] for row in stored(db, org.id)] == [{"v": 1}, {"v": 3}]


def test_a_source_and_id_too_long_for_a_message_id_are_hashed(client: TestClient, db: Session,
                                                              org: OrgHandle) -> None:
    source = "https://example.com/" + "x" * 300
    post(client, to_structured_event(cloud_event("e-9", source=source, customer="ana")), org)
    expected = hashlib.sha256(f"ce:{source}#e-9".encode()).hexdigest()
    assert [row[0] for row in stored(db, org.id)] == [expected]


def test_data_that_is_not_an_object_is_kept_under_properties_data(client: TestClient, db: Session,
                                                                  org: OrgHandle) -> None:
    text = cloud_event("t", data="hola", subject="ana", datacontenttype="text/plain")
    listed = cloud_event("l", data=[1, 2], subject="ana")
    for message in (to_binary_event(text), to_structured_event(listed)):
        assert post(client, message, org).status_code == 200
    assert [row[5] for row in stored(db, org.id)] == [{"data": "hola"}, {"data": [1, 2]}]


def test_time_defaults_to_when_the_request_was_received(client: TestClient, db: Session, org: OrgHandle) -> None:
    message = HTTPMessage({"content-type": "application/cloudevents+json"},
                          b'{"specversion": "1.0", "id": "n", "source": "/s", "type": "ping", "subject": "ana"}')
    before = datetime.now(UTC)
    assert post(client, message, org).status_code == 200
    assert before <= stored(db, org.id)[0][3] <= datetime.now(UTC)


@pytest.mark.parametrize(("make", "status", "code"), [
    (lambda: to_structured_event(CloudEventV03({"type": "t", "source": "/s", "id": "1", "subject": "ana"})),
     400, "unsupported_specversion"),
    (lambda: to_structured_event(cloud_event(data={"total": 1})), 400, "missing_customer"),
    (lambda: batched(cloud_event("1", customer="ana"), cloud_event("2", customer="ana", moment="nowhere")),
     400, "unknown_moment"),
    (lambda: batched(cloud_event("1", customer="ana"), cloud_event("2", customer="ana", service="bank")),
     400, "unknown_service"),
    (lambda: batched(cloud_event("1", customer="ana"), cloud_event("2", customer="ana", initiator="robot")),
     400, "invalid_cloudevent"),
    (lambda: HTTPMessage({"content-type": "application/cloudevents-batch+json"}, b'{"id": "1"}'), 400,
     "invalid_body"),
    (lambda: HTTPMessage({"content-type": "application/cloudevents+json"}, b'{"id": '), 400, "malformed_json"),
    (lambda: HTTPMessage({"content-type": "application/json"}, b'{"id": "1"}'), 400, "unsupported_content_type"),
    (lambda: to_structured_event(cloud_event(data={"blob": "x" * 40_000}, customer="ana")), 413,
     "event_too_large"),
], ids=["specversion 0.3", "no customer", "unknown moment", "unknown service", "bad initiator", "batch not array",
        "malformed json", "plain json", "event over 32 KB"])
def test_bad_input_is_rejected_and_nothing_is_written(client: TestClient, db: Session, shop: OrgHandle,
                                                      make: Any, status: int, code: str) -> None:
    r = post(client, make(), shop)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert set(r.json()) == {"code", "message", "detail"}
    if code in ("unknown_moment", "unknown_service", "invalid_cloudevent"):
        assert r.json()["detail"]["index"] == 1
    assert counts(db, shop.id) == (0, 0, 0)


def test_a_request_without_a_valid_key_is_401(client: TestClient) -> None:
    message = to_structured_event(cloud_event(customer="ana"))
    assert client.post(URL, content=message.body, headers=message.headers).status_code == 401
    bad = client.post(URL, content=message.body, headers={**message.headers, "Authorization": "Bearer mw_nope"})
    assert (bad.status_code, bad.json()["code"]) == (401, "invalid_key")


def test_a_write_key_writes_only_into_its_own_organization(client: TestClient, db: Session, org: OrgHandle,
                                                           other_org: OrgHandle) -> None:
    message = to_structured_event(cloud_event(customer="ana"))
    assert post(client, message, org).status_code == 200
    assert counts(db, org.id) == (1, 1, 0)
    assert counts(db, other_org.id) == (0, 0, 0)
