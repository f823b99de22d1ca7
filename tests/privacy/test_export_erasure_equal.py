"""Export and erasure cover the same data. The tables that hold a customer's data are derived from
``Base.metadata`` (a ``customer_id`` column, or a foreign key to such a table, transitively); each must be exported
AND removed by erasure, or be listed in ``privacy.scope.DERIVED`` with the reason it is not exported (it is still
removed). A new table with a ``customer_id`` makes this test fail until both sides handle it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.audit.service import Actor
from momentos.db import Base
from momentos.kit.clock import utcnow
from momentos.listening.feedback.schemas import FeedbackIn
from momentos.listening.feedback.service import add_feedback
from momentos.models import (
    AuditEntry,
    ContactRule,
    Customer,
    ErasedIdentity,
    Feedback,
    MailboxMessage,
    Notification,
    NotificationAttempt,
    Process,
    StatusFeedback,
)
from momentos.notify.status_tokens import ensure_token
from momentos.policy import service as policy
from momentos.policy.rules import customer_scope
from momentos.policy.schemas import RuleSet
from momentos.privacy import scope
from tests.conftest import OrgHandle
from tests.listening.helpers import delivery_survey
from tests.promises.helpers import define

NOW = utcnow().replace(microsecond=0)
NOT_PER_CUSTOMER = {"organizations"}


def per_customer_tables() -> dict[str, Table]:
    """Tables holding a customer's data: ``customers``, any table with a ``customer_id`` column, and any table with
    a foreign key to one of those (transitively)."""
    tables = Base.metadata.tables
    found = {"customers"}
    grew = True
    while grew:
        grew = False
        for name, table in tables.items():
            if name in found or name in NOT_PER_CUSTOMER:
                continue
            if "customer_id" in table.c or any(fk.column.table.name in found for fk in table.foreign_keys):
                found.add(name)
                grew = True
    return {name: tables[name] for name in sorted(found)}


def owned(db: Session, customer_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """The primary keys of the customer's rows in every per-customer table, found from the metadata alone."""
    tables = per_customer_tables()
    keys: dict[str, set[tuple[Any, ...]]] = {name: set() for name in tables}
    grew = True
    while grew:
        grew = False
        for name, table in tables.items():
            terms = [table.c.id == customer_id] if name == "customers" else []
            if "customer_id" in table.c:
                terms.append(table.c.customer_id == customer_id)
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if keys.get(parent):
                    terms.append(fk.parent.in_([k[0] for k in keys[parent]]))
            if not terms:
                continue
            pk = list(table.primary_key.columns)
            rows = {tuple(r) for r in db.execute(select(*pk).where(or_(*terms)))}
            if not rows <= keys[name]:
                keys[name] |= rows
                grew = True
    return keys


def still_there(db: Session, keys: dict[str, set[tuple[Any, ...]]]) -> dict[str, int]:
    tables = per_customer_tables()
    left: dict[str, int] = {}
    for name, pks in keys.items():
        table = tables[name]
        present = {tuple(r) for r in db.execute(select(*table.primary_key.columns))}
        if pks & present:
            left[name] = len(pks & present)
    return left


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def seed(db: Session, client: TestClient, org: OrgHandle, who: str) -> int:
    """``who`` with data in every per-customer table, through the services where they write it."""
    r = client.post("/api/v1/events", headers=org.writer, json={
        "identifies": [{"customer": who, "timestamp": _at(-30), "anonymous_id": f"{who}-device",
                        "traits": {"email": f"{who}@example.com", "name": f"Name of {who}"},
                        "consents": [{"channel": "*", "purpose": "*", "granted": True}]}],
        "events": [{"message_id": f"{who}-1", "customer": who, "activity": "order_placed", "process": "o-1",
                    "timestamp": _at(-20)},
                   {"message_id": f"{who}-2", "customer": who, "activity": "order_shipped", "process": "o-1",
                    "timestamp": _at(-10)}]})
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
    cid = db.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == who))
    assert cid is not None
    pid = db.scalar(select(Process.id).where(Process.customer_id == cid))
    assert pid is not None
    ensure_token(db, org.id, pid, NOW)
    db.add(StatusFeedback(org_id=org.id, process_id=pid, moment="delivery", text=f"status page note of {who}",
                          language="en", created_at=NOW))
    notification = db.scalars(select(Notification).where(Notification.customer_id == cid)).first()
    assert notification is not None
    db.add(NotificationAttempt(org_id=org.id, notification_id=notification.id, number=1, channel="email",
                               started_at=NOW, ended_at=NOW, outcome="temporary_failure", error="try later"))
    db.add(MailboxMessage(org_id=org.id, notification_id=notification.id, customer_id=cid, channel="email",
                          address=f"{who}@example.com", purpose="status", language="en", subject=f"for {who}",
                          text=f"hello {who}", delivered_at=NOW))
    add_feedback(db, org.id, [FeedbackIn(source="reviews", external_id=f"{who}-r1", text=f"review by {who}",
                                         occurred_at=NOW, customer=who)], NOW)
    # tied to the customer's process only (no customer id): it is theirs too, and must not outlive them
    db.add(Feedback(org_id=org.id, kind="comment", source="calls", text=f"call note about {who}", process_id=pid,
                    perception={}, occurred_at=NOW, created_at=NOW))
    policy.set_rules(db, org.id, customer_scope(cid), RuleSet(disabled_channels=["sms"]), NOW, actor=Actor.cli("tests"))
    db.flush()
    return cid


def test_export_and_erasure_cover_every_table_that_holds_a_customer(db: Session, client: TestClient,
                                                                     org: OrgHandle) -> None:
    delivery_survey(db, org.id, NOW - timedelta(days=1))
    define(db, org.id)
    ana, bob = seed(db, client, org, "ana"), seed(db, client, org, "zz-bob-marker")
    incremental.refresh(db, org.id)

    tables = per_customer_tables()
    sections = {s.table.name: s.key for s in scope.SECTIONS}
    unhandled = set(tables) - set(sections) - set(scope.DERIVED) - {"customers"}
    assert not unhandled, f"tables with customer data that export and erasure do not handle: {sorted(unhandled)}"

    mine, theirs = owned(db, ana), owned(db, bob)
    unseeded = sorted(name for name, keys in mine.items() if not keys)
    assert not unseeded, f"seed the customer with data in: {unseeded}"

    r = client.get("/api/v1/customers/ana/export", headers=org.admin)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["customer"]["id"] == ana and doc["customer"]["email"] == "ana@example.com"
    for table, key in sections.items():
        assert {item["id"] for item in doc[key]} == {k[0] for k in mine[table]}, table
    assert [rule["rules"] for rule in doc["contact_rules"]] == [{"disabled_channels": ["sms"]}]
    assert "zz-bob-marker" not in json.dumps(doc)  # nothing of another customer

    assert client.delete("/api/v1/customers/ana", headers=org.admin).status_code == 204
    assert still_there(db, mine) == {}
    assert db.scalar(select(func.count()).select_from(ContactRule)
                     .where(ContactRule.scope == customer_scope(ana))) == 0
    assert still_there(db, theirs) == {name: len(keys) for name, keys in theirs.items() if keys}
    assert client.get("/api/v1/customers/ana/export", headers=org.admin).status_code == 404


def test_export_holds_the_moment_history_and_references_and_both_are_audited(db: Session, client: TestClient,
                                                                           org: OrgHandle) -> None:
    delivery_survey(db, org.id, NOW - timedelta(days=1))
    define(db, org.id)
    seed(db, client, org, "ana")
    doc = client.get("/api/v1/customers/ana/export", headers=org.admin).json()
    assert doc["format"] == "momentos.customer-export/1"
    [process] = doc["processes"]
    assert [(s["moment"], s["left_at"] is None) for s in process["stays"]] == [("purchase", False),
                                                                              ("delivery", True)]
    assert set(doc["references"]["services"].values()) == {"shop"}
    assert set(doc["references"]["promises"].values()) == {"delivered-in-2-days"}
    assert set(doc["references"]["surveys"].values()) == {"after-delivery"}
    assert [i["alias"] for i in doc["identities"]] == ["ana-device"]
    assert doc["consent_history"] and doc["contact_decisions"][0]["reasons"]
    assert all(not {"token", "digest", "nonce"} & set(row) for row in doc["status_pages"] + doc["survey_invitations"])
    assert client.delete("/api/v1/customers/ana", headers=org.admin).status_code == 204
    entries = db.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.actor_kind, AuditEntry.before,
                                AuditEntry.after).where(AuditEntry.org_id == org.id)
                         .order_by(AuditEntry.id)).all()
    assert all("ana" not in target for _, target, _, _, _ in entries)  # named by the tombstone's digest
    entries = [e for e in entries if e[0].startswith("customer.")]  # the set-up's configuration is audited too
    assert [(a, k) for a, _, k, _, _ in entries] == [("customer.export", "key"), ("customer.erase", "key")]
    assert entries[0][4]["events"] == 2 and entries[1][3]["events"] == 2
    [digest] = db.scalars(select(ErasedIdentity.digest).where(ErasedIdentity.org_id == org.id,
                                                              ErasedIdentity.digest == entries[1][1].split(":")[-1]))
    assert digest


def test_export_of_an_unknown_customer_is_404_and_needs_an_admin_key(client: TestClient, org: OrgHandle) -> None:
    r = client.get("/api/v1/customers/nobody/export", headers=org.admin)
    assert (r.status_code, r.json()["code"]) == (404, "customer_not_found")
    assert client.get("/api/v1/customers/nobody/export", headers=org.writer).status_code == 403
