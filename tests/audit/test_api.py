"""GET /api/v1/audit: the organization's entries newest first, paged with ``before``, filtered by action and target
prefix, actor and time range; admin key only; never another organization's entries."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.kit.clock import utcnow
from momentos.models import AuditEntry
from tests.conftest import OrgHandle

URL = "/api/v1/audit"


def _seed(db: Session, org: OrgHandle, other_org: OrgHandle) -> list[AuditEntry]:
    made = [record(db, org.id, Actor.user("ana@example.com", 7), "service.update", "service:shop",
                   before={"name_en": "Shop"}, after={"name_en": "Web shop"}),
            record(db, org.id, Actor.key(3, "admin key ma_ab12"), "segment.create", "segment:vip",
                   after={"name_en": "VIP"}),
            record(db, org.id, Actor.cli(), "service.create", "service:hotel", after={"name_en": "Hotel"}),
            record(db, org.id, Actor.user("ana@example.com", 7), "contact_rules.set", "contact_rules:service:shop",
                   before={}, after={"caps": {"*": {"week": 2}}})]
    record(db, other_org.id, Actor.user("eve@example.com"), "service.update", "service:shop",
           after={"name_en": "victim"})
    return made


def test_newest_first_with_actor_and_summaries(db: Session, client: TestClient, org: OrgHandle,
                                               other_org: OrgHandle) -> None:
    made = _seed(db, org, other_org)
    r = client.get(URL, headers=org.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["id"] for e in body["entries"]] == [e.id for e in reversed(made)]
    assert body["next_before"] is None
    first = body["entries"][-1]
    assert first["actor"] == {"kind": "user", "id": 7, "label": "ana@example.com"}
    assert (first["action"], first["target"]) == ("service.update", "service:shop")
    assert (first["before"], first["after"]) == ({"name_en": "Shop"}, {"name_en": "Web shop"})
    assert "victim" not in r.text and "eve@" not in r.text


def test_pages_with_before(db: Session, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    made = _seed(db, org, other_org)
    seen: list[int] = []
    params: dict[str, int] = {"limit": 3}
    while True:
        body = client.get(URL, headers=org.admin, params=params).json()
        seen += [e["id"] for e in body["entries"]]
        if body["next_before"] is None:
            break
        params = {"limit": 3, "before": body["next_before"]}
    assert seen == [e.id for e in reversed(made)]
    for bad in ({"limit": 0}, {"limit": 1001}, {"before": 0}, {"before": 2**63}, {"before": "x"}):
        assert client.get(URL, headers=org.admin, params=bad).status_code == 422, bad


def test_filters(db: Session, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    made = _seed(db, org, other_org)

    def ids(**params: str) -> list[int]:
        r = client.get(URL, headers=org.admin, params=params)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["entries"]]

    assert ids(action="service") == [made[2].id, made[0].id]
    assert ids(action="service.update") == [made[0].id]
    assert ids(actor="ana@example.com") == [made[3].id, made[0].id]
    assert ids(target="service:") == [made[2].id, made[0].id]
    assert ids(target="contact_rules:service:shop") == [made[3].id]
    assert ids(action="service%") == []  # a prefix, not a pattern
    now = utcnow()
    made[0].at = now - timedelta(days=3)
    db.flush()
    day_ago = (now - timedelta(days=1)).isoformat()
    assert ids(**{"to": day_ago}) == [made[0].id]
    assert made[0].id not in ids(**{"from": day_ago})
    r = client.get(URL, headers=org.admin, params={"from": now.isoformat(), "to": day_ago})
    assert (r.status_code, r.json()["code"]) == (422, "invalid_range")


def test_admin_key_only(db: Session, client: TestClient, org: OrgHandle) -> None:
    assert client.get(URL).status_code == 401
    r = client.get(URL, headers=org.writer)
    assert (r.status_code, r.json()["code"]) == (403, "admin_key_required")
