"""The audit log's core: entries are recorded in the caller's transaction, bounded, secret-free and per organization."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.audit.service import Actor, entries, record, summarize
from momentos.orgs.service import authenticate
from tests.conftest import OrgHandle


def test_record_and_read_back_newest_first(db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    first = record(db, org.id, Actor.user("ana@example.com"), "service.update", "service:delivery",
                   before={"contact_level": "low"}, after={"contact_level": "high"})
    second = record(db, org.id, Actor.cli(), "key.revoke", "api_key:7")
    record(db, other_org.id, Actor.system(), "key.revoke", "api_key:8")

    got = entries(db, org.id)
    assert [entry.id for entry in got] == [second.id, first.id]
    assert got[1].before == {"contact_level": "low"} and got[1].after == {"contact_level": "high"}
    assert got[1].actor_kind == "user" and got[1].actor_label == "ana@example.com"
    assert [entry.id for entry in entries(db, org.id, action="key")] == [second.id]
    assert [entry.id for entry in entries(db, org.id, before_id=second.id)] == [first.id]
    assert all(entry.org_id == org.id for entry in got)


def test_summaries_drop_secrets_and_bound_sizes() -> None:
    summary = summarize({"name": "x" * 2000, "password": "hunter2", "token_digest": "abc",
                         "items": list(range(200)), "nested": {"secret_key": "s", "ok": 1}})
    assert "password" not in summary and "token_digest" not in summary
    assert len(summary["name"]) <= 501
    assert len(summary["items"]) == 51
    assert summary["nested"] == {"ok": 1}


def test_a_principal_names_its_key(db: Session, org: OrgHandle) -> None:
    principal = authenticate(db, org.keys.admin_key)
    assert principal is not None and principal.key_id is not None
    actor = principal.actor
    assert actor.kind == "key" and actor.id == principal.key_id
    assert principal.key_prefix and principal.key_prefix in actor.label
