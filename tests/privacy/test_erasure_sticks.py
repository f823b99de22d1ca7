"""Erasure sticks on every door: once a customer is erased, no alias, anonymous id or previous id links anyone to
them again, and events about them are dropped and counted (``dropped_erased``), whichever door they come through
(Segment, CloudEvents, native API, CSV and XES imports, the bulk road), with nothing queued for them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from cloudevents.core.bindings.http import to_structured_event
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.kit.clock import utcnow
from momentos.models import Customer, CustomerAlias, Event, Notification, PromiseInstance
from tests.conftest import OrgHandle
from tests.events.test_cloudevents_api import cloud_event
from tests.events.test_xes_import import event as xes_event
from tests.events.test_xes_import import trace, write_xes
from tests.factories import REACTIONS, make_service

T = "2026-03-02T09:00:00Z"


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def track(i: int, user: str | None, anonymous: str | None = None, activity: str = "order_shipped") -> dict[str, Any]:
    message: dict[str, Any] = {"type": "track", "event": activity, "messageId": f"seg-{i}", "timestamp": T,
                               "properties": {"process": "o-1"}}
    if user:
        message["userId"] = user
    if anonymous:
        message["anonymousId"] = anonymous
    return message


def native(i: int, customer: str, activity: str = "order_shipped") -> dict[str, Any]:
    return {"message_id": f"n-{i}", "customer": customer, "activity": activity, "timestamp": T,
            "process": "o-1"}


def segment(client: TestClient, org: OrgHandle, *messages: dict[str, Any]) -> None:
    r = client.post("/v1/batch", headers=basic(org.keys.write_key), json={"batch": list(messages)})
    assert r.status_code == 200, r.text


def erased(db: Session, client: TestClient, org: OrgHandle, who: str = "ana", *, quiet: bool = False) -> None:
    """A shop whose 'delivery' moment queues a status notice (``quiet``: no touchpoints, so nothing reacts);
    ``who`` had events, and then was erased."""
    make_service(db, org.id, touchpoints={} if quiet else None)
    r = client.post("/api/v1/events", headers=org.writer, json={
        "identifies": [{"customer": who, "timestamp": T, "anonymous_id": f"{who}-device",
                        "traits": {"email": f"{who}@example.com"}}],
        "events": [native(1, who, "order_placed"), native(2, who)]})
    assert r.json()["accepted"] == 2
    assert client.delete(f"/api/v1/customers/{who}", headers=org.admin).status_code == 204


def events_of(db: Session, org: OrgHandle) -> dict[str, int]:
    rows = db.execute(select(Customer.external_id, func.count(Event.id)).join(Event, Event.customer_id == Customer.id)
                      .where(Customer.org_id == org.id).group_by(Customer.external_id))
    return {ext: n for ext, n in rows}


def aliases(db: Session, org: OrgHandle) -> set[str]:
    return set(db.scalars(select(CustomerAlias.alias).where(CustomerAlias.org_id == org.id)))


def queued(db: Session, org: OrgHandle) -> int:
    return int(db.scalar(select(func.count()).select_from(Notification).where(Notification.org_id == org.id)) or 0)


def erased_events_are_dropped_on_every_door(db: Session, client: TestClient, org: OrgHandle,
                                            tmp_path: Path) -> None:
    """Events for 'ana' through the native API, Segment, CloudEvents and a CSV import: all dropped and counted."""
    r = client.post("/api/v1/events", headers=org.writer, json={"events": [native(10, "ana")]})
    assert (r.json()["accepted"], r.json()["dropped_erased"]) == (0, 1)
    segment(client, org, track(11, "ana"), track(12, None, "ana"))
    message = to_structured_event(cloud_event("ce-1", "order_shipped", {"process": "o-1"}, customer="ana"))
    r = client.post("/api/v1/cloudevents", content=message.body, headers={**message.headers, **org.writer})
    assert (r.json()["accepted"], r.json()["dropped_erased"]) == (0, 1)
    csv = tmp_path / "log.csv"
    csv.write_text("case,activity,timestamp,customer\nk1,order_shipped,2026-03-02T10:00:00,ana\n", encoding="utf-8")
    report = import_file(db, org.id, csv, ImportOptions(service="shop"), reactions=REACTIONS)
    assert (report.accepted, report.dropped_erased) == (0, 1)


def test_segment_alias_to_an_erased_id_is_dropped_and_events_for_it_stay_out(db: Session, client: TestClient,
                                                                              org: OrgHandle, tmp_path: Path) -> None:
    erased(db, client, org)
    before = queued(db, org)
    segment(client, org, {"type": "alias", "userId": "ana-new", "previousId": "ana", "timestamp": T},
            {"type": "alias", "userId": "ana-new", "previousId": "ana-device", "timestamp": T})
    assert aliases(db, org) == set()
    assert db.scalar(select(Customer.id).where(Customer.org_id == org.id)) is None  # the alias created no one
    erased_events_are_dropped_on_every_door(db, client, org, tmp_path)
    assert events_of(db, org) == {}
    assert queued(db, org) == before
    assert db.scalar(select(func.count()).select_from(PromiseInstance)
                     .where(PromiseInstance.org_id == org.id)) == 0


def test_native_alias_result_counts_the_dropped_links_and_names_them(db: Session, client: TestClient,
                                                                     org: OrgHandle) -> None:
    erased(db, client, org)
    r = client.post("/api/v1/events", headers=org.writer, json={
        "identifies": [{"customer": "ana-new", "timestamp": T, "anonymous_id": "ana", "message_id": "id-1",
                        "traits": {"email": "new@example.com"}},
                       {"customer": "ana", "timestamp": T, "traits": {"email": "back@example.com"}}],
        "events": [native(20, "ana-new"), native(21, "ana")]})
    body = r.json()
    assert (body["accepted"], body["dropped_erased"], body["profiles"]) == (1, 3, 1)
    assert body["warnings"] == [{"code": "erased_identity", "message": "A link to an erased customer was not recorded.",
                                 "detail": {"message_id": "id-1", "field": "anonymous_id"}}]
    # the live user's own profile is applied, without the link; the erased one is not recreated
    assert db.scalars(select(Customer.email).where(Customer.org_id == org.id)).all() == ["new@example.com"]
    assert aliases(db, org) == set()
    assert events_of(db, org) == {"ana-new": 1}


def test_segment_identify_or_track_with_an_erased_anonymous_id_does_not_link_it(db: Session, client: TestClient,
                                                                                org: OrgHandle,
                                                                                tmp_path: Path) -> None:
    erased(db, client, org)
    before = queued(db, org)
    segment(client, org,
            {"type": "identify", "userId": "ana-new", "anonymousId": "ana", "timestamp": T,
             "traits": {"email": "new@example.com"}},
            track(30, "ana-new", "ana-device", activity="order_placed"))
    assert aliases(db, org) == set()
    assert events_of(db, org) == {"ana-new": 1}  # the track is about the live user, so it is kept
    erased_events_are_dropped_on_every_door(db, client, org, tmp_path)
    assert events_of(db, org) == {"ana-new": 1}
    assert queued(db, org) == before


def test_an_alias_recorded_before_the_erasure_rules_does_not_bring_events_back(db: Session, client: TestClient,
                                                                                org: OrgHandle,
                                                                                tmp_path: Path) -> None:
    """A link stored by an earlier version (the hole this closes): events for the erased id still stay out."""
    erased(db, client, org)
    client.post("/api/v1/events", headers=org.writer, json={"events": [native(40, "ana-new", "order_placed")]})
    new_id = db.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == "ana-new"))
    db.add(CustomerAlias(org_id=org.id, alias="ana", customer_id=new_id, created_at=utcnow()))
    db.flush()
    before = queued(db, org)
    erased_events_are_dropped_on_every_door(db, client, org, tmp_path)
    assert events_of(db, org) == {"ana-new": 1}
    assert queued(db, org) == before


def test_an_alias_whose_user_id_is_erased_is_dropped(db: Session, client: TestClient, org: OrgHandle) -> None:
    erased(db, client, org)
    segment(client, org, {"type": "alias", "userId": "ana", "previousId": "someone", "timestamp": T},
            {"type": "group", "userId": "ana", "groupId": "acme", "timestamp": T})
    assert aliases(db, org) == set()
    assert db.scalar(select(Customer.id).where(Customer.org_id == org.id)) is None


def test_the_xes_bulk_road_drops_an_erased_case(db: Session, client: TestClient, org: OrgHandle,
                                                tmp_path: Path) -> None:
    erased(db, client, org, quiet=True)
    path = write_xes(tmp_path, "\n".join([
        trace("ana", xes_event("archived", "2026-03-02T10:00:00+00:00")),
        trace("bob", xes_event("archived", "2026-03-02T10:00:00+00:00"))]))
    report = import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert (report.bulk, report.accepted, report.dropped_erased) == (True, 1, 1)
    assert events_of(db, org) == {"bob": 1}


def test_a_live_customer_whose_id_was_also_an_erased_customers_alias_keeps_their_events(
        db: Session, client: TestClient, org: OrgHandle) -> None:
    """Erasing 'ana', who was once also known by 'bob' (a mistaken anonymous id), does not silence the customer 'bob'
    of his own: only ids that are not a live customer's own are held to the tombstones."""
    make_service(db, org.id)
    client.post("/api/v1/events", headers=org.writer, json={"events": [native(50, "bob", "order_placed")]})
    client.post("/api/v1/events", headers=org.writer, json={
        "identifies": [{"customer": "ana", "timestamp": T, "anonymous_id": "bob"}]})
    assert client.delete("/api/v1/customers/ana", headers=org.admin).status_code == 204
    r = client.post("/api/v1/events", headers=org.writer, json={"events": [native(51, "bob")]})
    assert (r.json()["accepted"], r.json()["dropped_erased"]) == (1, 0)
    assert events_of(db, org) == {"bob": 2}
