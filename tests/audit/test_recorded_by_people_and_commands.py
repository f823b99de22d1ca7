"""Changes made on the pages name the signed-in person; commands name the command line; imports name who imported
which file (ok or failed). Real sign-in with a password, real forms with their CSRF token, real commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.cli import app
from momentos.db import make_session_factory, unit_of_work
from momentos.imports import history as import_history
from momentos.imports.readers import ImportOptions
from momentos.kit.clock import utcnow
from momentos.models import AuditEntry, Notification
from momentos.users import service as users
from tests.conftest import OrgHandle, make_org
from tests.factories import REACTIONS, event, make_service, send
from tests.web.seed import csrf_of

PASSWORD = "a long enough test password"


def _entries(db: Session, org_id: int) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.id)))


@pytest.fixture
def manager(db: Session, client: TestClient, org: OrgHandle) -> str:
    """A manager signed in with a password on ``client``; returns the form token."""
    email = "marta@example.com"
    user = users.create_user(db, email, PASSWORD, utcnow())
    users.add_membership(db, user.id, org.id, "manager", utcnow())
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/config").text)


FORMS = [
    ("/config/services/shop/assessment", {"presence": "full", "participation": "active", "duration": "long",
                                          "people": "face_to_face"}, "service.update", "service:shop"),
    ("/config/services/shop/touchpoints", {"moment": "use", "channel": "email", "activities": "tip_sent",
                                           "initiator": "company"}, "touchpoint.create", "service:shop/touchpoint:"),
    ("/config/services/shop/rules", {"per_week": "2"}, "contact_rules.set", "contact_rules:service:shop"),
    ("/config/services/shop/promises", {"key": "two-days", "moment": "delivery", "kind": "time",
                                        "text_es": "En 2 días", "text_en": "Within 2 days", "rule_type": "time",
                                        "start_activity": "order_placed", "stop_activity": "order_delivered",
                                        "hours": "48", "action": "save"}, "promise.create", "promise:two-days"),
    ("/config/surveys", {"key": "after", "title_es": "¿Qué tal?", "title_en": "How was it?", "at": "shop:delivery",
                         "questions": "nps", "valid_hours": "72"}, "survey.create", "survey:after"),
    ("/config/templates", {"purpose": "status", "language": "es", "subject": "Tu pedido", "body": "Va en camino",
                           "action": "save"}, "template.save", "template:status/*/*/es"),
    ("/config/segments", {"key": "vip", "name_es": "VIP", "name_en": "VIP", "attribute_0": "traits",
                          "name_0": "plan", "op_0": "eq", "value_0": "vip"}, "segment.create", "segment:vip"),
]


@pytest.mark.parametrize(("path", "form", "action", "target"), FORMS, ids=[f[2] for f in FORMS])
def test_a_page_change_names_the_signed_in_person(db: Session, client: TestClient, org: OrgHandle, manager: str,
                                                  path: str, form: dict[str, str], action: str, target: str) -> None:
    make_service(db, org.id)
    start = len(_entries(db, org.id))
    r = client.post(path, data={**form, "csrf": manager}, follow_redirects=False)
    assert r.status_code == 303, r.text
    new = _entries(db, org.id)[start:]
    assert [(e.action, e.actor_kind, e.actor_label) for e in new] == [(action, "user", "marta@example.com")]
    assert new[0].target.startswith(target)
    assert new[0].after


def test_page_replay_and_segment_removal_name_the_person(db: Session, client: TestClient, org: OrgHandle,
                                                         manager: str) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "order_placed", 0), event("ana", "order_shipped", 5))
    n = db.scalars(select(Notification).where(Notification.org_id == org.id)).first()
    assert n is not None
    n.status = "dead"
    db.flush()
    assert client.post("/config/segments", data={"key": "vip", "name_es": "VIP", "name_en": "VIP",
                                                 "attribute_0": "traits", "name_0": "plan", "op_0": "eq",
                                                 "value_0": "vip", "csrf": manager},
                       follow_redirects=False).status_code == 303
    start = len(_entries(db, org.id))
    assert client.post(f"/ops/notifications/{n.id}/replay", data={"csrf": manager},
                       follow_redirects=False).status_code == 303
    assert client.post("/config/segments/vip/delete", data={"csrf": manager},
                       follow_redirects=False).status_code == 303
    new = _entries(db, org.id)[start:]
    assert [(e.action, e.target, e.actor_label) for e in new] == [
        ("notification.replay", f"notification:{n.id}", "marta@example.com"),
        ("segment.delete", "segment:vip", "marta@example.com")]
    assert (new[0].before or {}).get("status") == "dead" and new[0].after == {"status": "pending"}
    assert (new[1].before or {}).get("name_en") == "VIP"


def test_an_admin_key_session_names_the_key(db: Session, client: TestClient, org: OrgHandle) -> None:
    from tests.web.seed import sign_in

    make_service(db, org.id)
    sign_in(client, org.keys.admin_key)
    token = csrf_of(client.get("/config").text)
    assert client.post("/config/services/shop/rules", data={"per_day": "1", "csrf": token},
                       follow_redirects=False).status_code == 303
    [entry] = [e for e in _entries(db, org.id) if e.action == "contact_rules.set"]
    assert entry.actor_kind == "key" and "admin key" in entry.actor_label


def test_commands_name_the_command_line(engine: Engine, tmp_path: Path) -> None:
    from momentos.notify.cli import register as register_outbox
    from momentos.promises.cli import register as register_promises
    from momentos.segments.cli import register as register_segments

    for register in (register_outbox, register_promises, register_segments):
        register(app)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        make_service(session, org.id)
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    segment = tmp_path / "vip.json"
    segment.write_text(json.dumps({"key": "vip", "name_es": "VIP", "name_en": "VIP",
                                   "rule": [{"field": "traits.plan", "op": "eq", "value": "vip"}]}))
    promise = tmp_path / "promise.json"
    promise.write_text(json.dumps({"key": "two-days", "service": "shop", "moment": "purchase", "kind": "time",
                                   "text": {"es": "En 2 días", "en": "Within 2 days"},
                                   "rule": {"start_activity": "order_placed", "stop_activity": "order_delivered",
                                            "target_hours": 48}}))
    for args in (["segments", "define", "--org", org.slug, str(segment)],
                 ["segments", "delete", "--org", org.slug, "vip"],
                 ["promises", "define", "--org", org.slug, str(promise)]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
    with unit_of_work(factory) as session:
        found = [(e.action, e.actor_kind) for e in _entries(session, org.id) if e.action != "service.create"
                 and e.action != "touchpoint.create"]
    assert found == [("segment.create", "cli"), ("segment.delete", "cli"), ("promise.create", "cli")]


GOOD = "case,activity,timestamp\n" + "\n".join(
    f"c{i % 3},step {i % 4},2024-05-01 10:{i:02d}:00" for i in range(6)) + "\n"


def test_imports_name_who_imported_which_file(engine: Engine, tmp_path: Path) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text("case,activity,timestamp\nc1,x,not a time\n")
    ana = import_history.Actor("user", "ana@example.com")
    ok = import_history.run_import(factory, org.id, good, ImportOptions(), ana, file_name="mayo.csv",
                                   reactions=REACTIONS)
    failed = import_history.run_import(factory, org.id, bad, ImportOptions(), import_history.Actor("cli", "ops"),
                                       reactions=REACTIONS)
    assert ok.error is None and failed.error is not None
    with unit_of_work(factory) as session:
        rows = [(e.action, e.target, e.actor_kind, e.actor_label, (e.after or {}).get("file_name"),
                 (e.after or {}).get("status"), (e.after or {}).get("accepted")) for e in _entries(session, org.id)]
    assert rows == [("import.run", f"import:{ok.record.id}", "user", "ana@example.com", "mayo.csv", "ok", 6),
                    ("import.run", f"import:{failed.record.id}", "cli", "command line (ops)", "bad.csv", "failed", 0)]
