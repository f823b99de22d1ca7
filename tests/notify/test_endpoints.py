"""Webhook endpoints over the API with real receivers: create and update are checked against SSRF (and sending
checks again), a changed URL is used by the next delivery, a rotated secret keeps the previous one signing for the
grace period only, and a disabled endpoint is no channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow
from momentos.models import WebhookEndpoint
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from tests.conftest import OrgHandle
from tests.notify.helpers import customer, notifications, ship, shop
from tests.notify.receivers import Hooks, webhook_receiver

URL = "/api/v1/webhook-endpoints"


@pytest.fixture
def api(client: TestClient, notify_settings: NotifySettings) -> Iterator[TestClient]:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"notify": notify_settings})  # type: ignore[attr-defined]
    yield client  # loopback allowed
    client.app.state.settings = settings  # type: ignore[attr-defined]


def _create(api: TestClient, org: OrgHandle, hooks: Hooks) -> int:
    r = api.post(URL, headers=org.admin, json={"url": hooks.url})
    assert r.status_code == 201, r.text
    hooks.secret = r.json()["secret"]
    return int(r.json()["id"])


def test_create_and_update_refuse_private_addresses(db: Session, org: OrgHandle, api: TestClient,
                                                   hooks: Hooks) -> None:
    for url in ("http://10.0.0.7/hook", "http://169.254.169.254/latest", "http://[::1]:9/x"):
        r = api.post(URL, headers=org.admin, json={"url": url})
        assert (r.status_code, r.json()["code"]) == (422, "unsafe_webhook_url"), url
    endpoint_id = _create(api, org, hooks)
    r = api.patch(f"{URL}/{endpoint_id}", headers=org.admin, json={"url": "http://192.168.1.1/hook"})
    assert (r.status_code, r.json()["code"]) == (422, "unsafe_webhook_url")
    assert [e["url"] for e in api.get(URL, headers=org.admin).json()] == [hooks.url]


def test_a_changed_url_receives_the_next_delivery(db: Session, org: OrgHandle, api: TestClient, hooks: Hooks,
                                                  notify_settings: NotifySettings,
                                                  worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    endpoint_id = _create(api, org, hooks)
    with webhook_receiver(secret=hooks.secret) as moved:
        r = api.patch(f"{URL}/{endpoint_id}", headers=org.admin, json={"url": moved.url})
        assert r.status_code == 200 and r.json()["secret"] is None
        customer(db, org.id, "bo")
        ship(db, org.id, "bo")
        run(worker_factory, notify_settings, "w1", once=True)
        [n] = notifications(db, org.id)
        assert n.status == "sent" and list(moved.ids) == [n.delivery_id] and not hooks.received


def test_rotation_keeps_the_previous_secret_valid_for_the_grace_period_only(
        db: Session, org: OrgHandle, api: TestClient, hooks: Hooks, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    endpoint_id = _create(api, org, hooks)
    old = hooks.secret
    r = api.patch(f"{URL}/{endpoint_id}", headers=org.admin, json={"rotate_secret": True, "grace_seconds": 3600})
    new = r.json()["secret"]
    assert new and new != old and r.json()["previous_expires_at"] is not None
    customer(db, org.id, "bo")
    ship(db, org.id, "bo")
    run(worker_factory, notify_settings, "w1", once=True)  # the receiver still verifies with the old secret
    assert [n.status for n in notifications(db, org.id)] == ["sent"] and hooks.bad_signatures == 0
    with webhook_receiver(secret=new) as switched:  # a receiver that already switched verifies too
        db.get_one(WebhookEndpoint, endpoint_id).url = switched.url
        customer(db, org.id, "cy")
        ship(db, org.id, "cy")
        run(worker_factory, notify_settings, "w1", once=True)
        assert switched.bad_signatures == 0 and len(switched.received) == 1
    endpoint = db.get_one(WebhookEndpoint, endpoint_id)
    endpoint.url, endpoint.previous_expires_at = hooks.url, utcnow() - timedelta(seconds=1)  # grace is over
    db.flush()
    customer(db, org.id, "di")
    ship(db, org.id, "di")
    run(worker_factory, notify_settings, "w1", once=True)
    assert hooks.bad_signatures >= 1 and len(hooks.received) == 1  # the old secret no longer verifies
    assert notifications(db, org.id)[-1].status == "dead"


def test_a_disabled_endpoint_is_no_channel(db: Session, org: OrgHandle, api: TestClient, hooks: Hooks,
                                           notify_settings: NotifySettings,
                                           worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    endpoint_id = _create(api, org, hooks)
    assert api.patch(f"{URL}/{endpoint_id}", headers=org.admin, json={"enabled": False}).json()["active"] is False
    customer(db, org.id, "bo")
    ship(db, org.id, "bo")
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert n.status == "suppressed" and not hooks.received


def test_an_address_that_became_private_is_refused_at_send_time(db: Session, org: OrgHandle,
                                                                notify_settings: NotifySettings,
                                                                worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    db.add(WebhookEndpoint(org_id=org.id, url="http://10.255.255.1/hook", secrets=["whsec_dGVzdA=="],
                           active=True, created_at=utcnow()))  # e.g. stored before the host moved
    customer(db, org.id, "bo")
    ship(db, org.id, "bo")
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert (n.status, n.attempts) == ("dead", 1) and "private" in (n.last_error or "")
