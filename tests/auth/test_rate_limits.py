"""Per-key rate limits of the API beside ingestion: a bucket per admin key, 429 with Retry-After past it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.config import ApiSettings, IngestSettings, Settings
from momentos.kit.token_bucket import RateLimiter
from momentos.orgs.service import issue_key
from tests.conftest import OrgHandle
from tests.conftest import test_settings as settings_for_tests
from tests.factories import T0

BURST = 3


@pytest.fixture
def app_settings() -> Settings:
    return settings_for_tests(api=ApiSettings(rate_per_second=0.01, burst=BURST),
                         ingest=IngestSettings(rate_per_second=1000, burst=1000))


def test_past_the_burst_an_admin_key_gets_429_with_retry_after_in_the_error_format(client: TestClient,
                                                                                   org: OrgHandle) -> None:
    answers = [client.get("/api/v1/services", headers=org.admin) for _ in range(BURST + 1)]
    assert [r.status_code for r in answers] == [200] * BURST + [429]
    throttled = answers[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    body = throttled.json()
    assert body["code"] == "throttled" and body["message"] and body["detail"]["retry_after_s"] >= 1
    assert client.get("/api/v1/customers", headers=org.admin).status_code == 429  # every route, one bucket


def test_the_bucket_is_per_key(client: TestClient, db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    for _ in range(BURST + 1):
        client.get("/api/v1/services", headers=org.admin)
    assert client.get("/api/v1/services", headers=org.admin).status_code == 429
    assert client.get("/api/v1/services", headers=other_org.admin).status_code == 200
    second = issue_key(db, org.id, "admin", "second")
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_refused_keys_take_no_token_and_ingestion_keeps_its_own_budget(client: TestClient, org: OrgHandle) -> None:
    for _ in range(BURST + 2):
        assert client.get("/api/v1/services", headers=org.writer).status_code == 403
    event = {"events": [{"customer": "ana", "activity": "order_placed", "time": T0.isoformat()}]}
    for _ in range(BURST + 1):
        client.get("/api/v1/services", headers=org.admin)
    assert client.get("/api/v1/services", headers=org.admin).status_code == 429
    assert client.post("/api/v1/events", json=event, headers=org.admin).status_code != 429
    assert client.post("/api/v1/events", json=event, headers=org.writer).status_code != 429


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    limiter = RateLimiter(rate=2.0, burst=2)
    assert [limiter.take("k", now=0.0) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k", now=0.0) == pytest.approx(0.5)
    assert limiter.take("k", now=0.5) == 0.0
    assert limiter.take("other", now=0.5) == 0.0
    assert [limiter.take("k", now=100.0) for _ in range(3)][-1] > 0  # never more than the burst
