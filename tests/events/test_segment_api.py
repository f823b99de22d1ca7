"""The Segment HTTP API door, driven by the real ``segment-analytics-python`` client and raw HTTP on a live server."""

from __future__ import annotations

import base64
import functools
import gzip
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from segment.analytics import Client as SegmentClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.config import IngestSettings, Settings
from momentos.models import Customer, CustomerAlias, Event, Process
from tests.conftest import LiveServer, OrgHandle
from tests.conftest import test_settings as settings_for_tests
from tests.factories import make_service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}


def counts(session: Session, org_id: int) -> tuple[int, int, int]:
    """(events, customers, processes) of one organization."""
    def n(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)

    return n(Event), n(Customer), n(Process)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def track(i: int, customer: str = "ana", **properties: Any) -> dict[str, Any]:
    return {"type": "track", "userId": customer, "event": "order_placed", "messageId": f"m-{i}",
            "timestamp": "2026-03-02T09:00:00Z", "properties": properties}


class FlakyProxy:
    """A reverse proxy on loopback. It forwards every POST to the upstream server, but tells the client 503 for the
    first ``failures`` requests — after forwarding them, so the server did store what the client will resend."""

    def __init__(self, upstream: str, failures: int = 0) -> None:
        self.upstream, self.failures = upstream, failures
        self.client_statuses: list[int] = []
        self.upstream_statuses: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FlakyProxy:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def relay(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = httpx.post(self.upstream + path, content=body, headers=forwarded, timeout=10)
        with self._lock:
            self.upstream_statuses.append(upstream.status_code)
            fail = len(self.client_statuses) < self.failures
            status = 503 if fail else upstream.status_code
            self.client_statuses.append(status)
        if fail:
            return 503, b'{"code": "unavailable", "message": "Try again."}', "application/json"
        return status, upstream.content, upstream.headers.get("content-type", "application/json")


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        proxy: FlakyProxy = self.server.proxy  # type: ignore[attr-defined]
        status, content, content_type = proxy.relay(self.path, dict(self.headers.items()), body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""



def segment_client(write_key: str, host: str, errors: list[Any], **options: Any) -> SegmentClient:
    def on_error(error: Exception, batch: list[Any]) -> None:
        errors.append(error)

    options.setdefault("upload_interval", 0.05)
    return SegmentClient(write_key, host=host, on_error=on_error, **options)


JOURNEY_MESSAGES = 7
ONE_BATCH = {"upload_size": JOURNEY_MESSAGES, "upload_interval": 0.5}
"""Client options that make the journey one HTTP batch even on a loaded machine: the consumer sends as soon as it
holds all the messages, and waits for them up to the client's default interval (``join()`` costs that wait)."""


def send_journey(client: SegmentClient) -> None:
    """One customer's journey in every message type, with fixed ids and times so a replay is the same batch."""
    client.identify("ana", {"email": "ana@example.com"}, context={"locale": "es-MX"}, timestamp=T0,
                    anonymous_id="anon-1", message_id="i-1")
    client.page(anonymous_id="anon-1", name="Pricing", timestamp=T0, message_id="p-1")
    client.track("ana", "signed_up", timestamp=T0, message_id="t-1")
    client.track("ana", "order_placed", {"process": "order-9", "total": 30}, timestamp=T0, message_id="t-2")
    client.screen("ana", name="Tracking", properties={"moment": "delivery", "process": "order-9"}, timestamp=T0,
                  message_id="s-1")
    client.group("ana", "acme", {"name": "ACME"}, timestamp=T0, message_id="g-1")
    client.alias("anon-1", "ana", timestamp=T0, message_id="a-1")
    client.flush()


def test_replaying_a_batch_through_the_segment_client_changes_no_counts(live_server: LiveServer,
                                                                        shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    after: list[tuple[int, int, int]] = []
    with FlakyProxy(live_server.url) as recorder:
        client = segment_client(shop_org.keys.write_key, recorder.url, errors, gzip=True, **ONE_BATCH)
        for _ in range(2):  # the same messages (ids, times) twice, as a client resends after a lost answer
            send_journey(client)
            after.append(live_server.read(lambda s: counts(s, shop_org.id)))
        client.join()
    assert errors == []
    assert recorder.client_statuses == recorder.upstream_statuses == [200, 200]  # one batch each, both accepted
    assert after == [(4, 1, 2), (4, 1, 2)]


def test_segment_client_messages_become_events_and_profiles(live_server: LiveServer, shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    send_journey(segment_client(shop_org.keys.write_key, live_server.url, errors, sync_mode=True))

    def stored(s: Session) -> tuple[Any, ...]:
        ana = s.scalars(select(Customer).where(Customer.org_id == shop_org.id)).one()
        rows = s.execute(select(Event.message_id, Event.activity, Event.type, Event.channel, Event.moment,
                                Event.source).where(Event.org_id == shop_org.id).order_by(Event.message_id)).all()
        aliases = s.scalars(select(CustomerAlias.alias).where(CustomerAlias.customer_id == ana.id)).all()
        refs = s.scalars(select(Process.reference).where(Process.org_id == shop_org.id)).all()
        return ana, [tuple(r) for r in rows], aliases, sorted(refs)

    ana, rows, aliases, refs = live_server.read(stored)
    assert errors == []
    assert (ana.external_id, ana.email, ana.language, ana.account_id) == ("ana", "ana@example.com", "es", "acme")
    assert list(aliases) == ["anon-1"]
    assert rows == [("p-1", "page:Pricing", "page", "web", None, "segment"),
                    ("s-1", "screen:Tracking", "screen", "app", "delivery", "segment"),
                    ("t-1", "signed_up", "track", "web", "first_contact", "segment"),
                    ("t-2", "order_placed", "track", "web", "purchase", "segment")]
    assert refs == ["", "order-9"]


def test_segment_client_retrying_after_two_503s_stores_the_event_once(live_server: LiveServer,
                                                                      shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    with FlakyProxy(live_server.url, failures=2) as proxy:
        client = segment_client(shop_org.keys.write_key, proxy.url, errors)
        client.track("ana", "order_placed", {"process": "order-1"}, timestamp=T0)  # messageId: a fresh uuid4
        client.flush()
        client.join()
    assert errors == []
    assert proxy.client_statuses == [503, 503, 200]
    assert proxy.upstream_statuses == [200, 200, 200]
    assert live_server.read(lambda s: counts(s, shop_org.id)) == (1, 1, 1)


def test_every_single_message_endpoint_answers_exactly_200_success(live_server: LiveServer) -> None:
    org = live_server.new_org()
    message = {"userId": "ana", "event": "signed_up", "previousId": "anon-1", "groupId": "acme",
               "traits": {"email": "ana@example.com"}}
    for kind in ("identify", "track", "page", "screen", "group", "alias"):
        r = httpx.post(f"{live_server.url}/v1/{kind}", json=message, headers=basic(org.keys.write_key))
        assert (kind, r.status_code, r.json()) == (kind, 200, {"success": True})

    def stored(s: Session) -> tuple[Any, ...]:
        ana = s.scalars(select(Customer).where(Customer.org_id == org.id)).one()
        activities = s.scalars(select(Event.activity).where(Event.org_id == org.id).order_by(Event.id)).all()
        alias = s.scalar(select(CustomerAlias.alias).where(CustomerAlias.customer_id == ana.id))
        return ana.email, ana.account_id, alias, list(activities)

    assert live_server.read(stored) == ("ana@example.com", "acme", "anon-1", ["signed_up", "page", "screen"])


def test_import_is_the_same_as_batch_and_write_key_may_come_in_the_body(live_server: LiveServer) -> None:
    org = live_server.new_org()
    body = {"writeKey": org.keys.write_key, "batch": [track(1), track(2, "bea")]}
    r = httpx.post(f"{live_server.url}/v1/import", json=body)
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert live_server.read(lambda s: counts(s, org.id)) == (2, 2, 0)


@functools.cache
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzipped (about 50 KB on the wire)."""
    return gzip.compress(b"\0" * 50 * 1024 * 1024, compresslevel=1)


def _batch_bytes(*messages: dict[str, Any]) -> bytes:
    return json.dumps({"batch": list(messages)}).encode()


BAD_INPUT: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    "malformed json": (b'{"batch": [{"type": "track",', {}, 400, "malformed_json"),
    "properties not an object": (_batch_bytes(track(1), {**track(2), "properties": [1]}), {}, 400,
                                 "invalid_message"),
    "event not a string": (_batch_bytes(track(1), {**track(2), "event": 7}), {}, 400, "invalid_message"),
    "unknown moment": (_batch_bytes(track(1), track(2, moment="nowhere")), {}, 400, "unknown_moment"),
    "unknown service": (_batch_bytes(track(1), track(2, service="bank")), {}, 400, "unknown_service"),
    "batch over 500 KB": (_batch_bytes(*(track(i, blob="x" * 20_000) for i in range(30))), {}, 413,
                          "payload_too_large"),
    "event over 32 KB": (_batch_bytes(track(1), track(2, blob="x" * 33_000)), {}, 413, "event_too_large"),
    "not gzip": (b"plain", {"Content-Encoding": "gzip"}, 400, "bad_gzip"),
}


@pytest.mark.parametrize("case", [*BAD_INPUT, "gzip bomb"])
def test_bad_input_is_rejected_with_a_json_error_and_nothing_is_written(client: TestClient, db: Session,
                                                                        org: OrgHandle, case: str) -> None:
    make_service(db, org.id)
    if case == "gzip bomb":
        body, headers, status, code = gzip_bomb(), {"Content-Encoding": "gzip"}, 413, "decompressed_too_large"
    else:
        body, headers, status, code = BAD_INPUT[case]
    r = client.post("/v1/batch", content=body,
                    headers={"Content-Type": "application/json", **headers, **basic(org.keys.write_key)})
    assert r.status_code == status
    assert set(r.json()) == {"code", "message", "detail"}
    assert r.json()["code"] == code
    if status == 400 and code not in ("malformed_json", "bad_gzip"):
        assert r.json()["detail"]["index"] == 1  # the first message was fine; the request is all or nothing
    assert counts(db, org.id) == (0, 0, 0)


def test_a_rejected_batch_writes_nothing_on_a_live_server(live_server: LiveServer, shop_org: OrgHandle) -> None:
    """Profiles and events before the bad message are not committed either: the request is one transaction."""
    batch = [{"type": "identify", "userId": "ana", "traits": {"email": "ana@example.com"}}, track(1),
             {"type": "alias", "userId": "ana", "previousId": "anon-1"}, track(2, moment="nowhere")]
    r = httpx.post(f"{live_server.url}/v1/batch", json={"batch": batch}, headers=basic(shop_org.keys.write_key))
    assert (r.status_code, r.json()["code"], r.json()["detail"]["index"]) == (400, "unknown_moment", 3)
    assert live_server.read(lambda s: counts(s, shop_org.id)) == (0, 0, 0)
    assert live_server.read(lambda s: s.scalar(select(func.count()).select_from(CustomerAlias)
                                               .where(CustomerAlias.org_id == shop_org.id))) == 0


@pytest.mark.parametrize(("headers", "body_key", "code"), [
    ({}, None, "unauthorized"),
    (basic("mw_not-a-key"), None, "invalid_key"),
    ({"Authorization": "Bearer mw_not-a-key"}, None, "invalid_key"),
    ({}, "mw_not-a-key", "invalid_key"),
], ids=["no key", "bad basic key", "bad bearer key", "bad body key"])
def test_missing_or_invalid_write_key_is_401_and_nothing_is_written(client: TestClient, db: Session, org: OrgHandle,
                                                                    headers: dict[str, str], body_key: str | None,
                                                                    code: str) -> None:
    body: dict[str, Any] = {"batch": [track(1)]}
    if body_key:
        body["writeKey"] = body_key
    r = client.post("/v1/batch", json=body, headers=headers)
    assert (r.status_code, r.json()["code"]) == (401, code)
    assert counts(db, org.id) == (0, 0, 0)


def test_a_write_key_writes_only_into_its_own_organization(live_server: LiveServer) -> None:
    a, b = live_server.new_org(), live_server.new_org()
    body = {"writeKey": b.keys.write_key, "batch": [track(1)]}  # the header's key (org A) wins over the body's
    r = httpx.post(f"{live_server.url}/v1/batch", json=body, headers=basic(a.keys.write_key))
    assert r.status_code == 200
    httpx.post(f"{live_server.url}/v1/batch", json={"batch": [track(1, "bea")]}, headers=basic(b.keys.write_key))
    assert live_server.read(lambda s: counts(s, a.id)) == (1, 1, 0)
    assert live_server.read(lambda s: counts(s, b.id)) == (1, 1, 0)  # same messageId, other tenant: not a duplicate
    owners = live_server.read(lambda s: dict(s.execute(
        select(Customer.external_id, Customer.org_id).where(Customer.org_id.in_([a.id, b.id]))).all()))
    assert owners == {"ana": a.id, "bea": b.id}


class TestThrottling:
    @pytest.fixture
    def app_settings(self) -> Settings:
        return settings_for_tests(ingest=IngestSettings(rate_per_second=0.01, burst=2))

    def test_past_the_burst_a_key_gets_429_with_retry_after_and_nothing_is_written(
            self, client: TestClient, org: OrgHandle, db: Session) -> None:
        statuses = [client.post("/v1/batch", json={"batch": [track(i)]}, headers=basic(org.keys.write_key))
                    for i in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        throttled = statuses[2]
        assert throttled.json()["code"] == "throttled"
        assert int(throttled.headers["Retry-After"]) >= 1
        assert counts(db, org.id) == (2, 1, 0)

    def test_the_budget_is_per_key_so_another_organization_is_not_throttled(
            self, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
        for i in range(3):
            client.post("/v1/track", json=track(i), headers=basic(org.keys.write_key))
        r = client.post("/v1/track", json=track(9), headers=basic(other_org.keys.write_key))
        assert r.status_code == 200


def test_a_bad_key_is_final_for_the_segment_client_which_reports_it_without_resending(live_server: LiveServer) -> None:
    """A 401 is final for the real client: it reports the error instead of resending."""
    errors: list[Any] = []
    with FlakyProxy(live_server.url) as recorder:
        client = segment_client("mw_not-a-key", recorder.url, errors)
        client.track("ana", "signed_up")
        client.flush()
        client.join()
    assert recorder.client_statuses == [401]
    assert [getattr(e, "status", None) for e in errors] == [401]
