"""``momentos customers export|erase ID --org SLUG`` against a real, committed database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, delete, select
from typer.testing import CliRunner, Result

from momentos.cli import app, register_commands
from momentos.db import make_session_factory, unit_of_work
from momentos.models import AuditEntry, Organization
from tests.conftest import make_org
from tests.factories import event, make_service, send

register_commands()


@dataclass
class Target:
    engine: Engine
    slug: str
    org_id: int

    def run(self, *args: str) -> Result:
        url = self.engine.url.render_as_string(hide_password=False)
        return CliRunner().invoke(app, list(args), env={"MOMENTOS_DATABASE_URL": url})


@pytest.fixture
def target(engine: Engine) -> Iterator[Target]:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        make_service(session, org.id)
        send(session, org.id, event("ana", "order_placed"), event("ana", "order_shipped", 60),
             event("bea", "order_placed"))
    yield Target(engine, org.slug, org.id)
    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(delete(Organization).where(Organization.id == org.id))


def test_export_prints_the_document_then_erase_removes_it_and_both_are_audited(target: Target) -> None:
    result = target.run("customers", "export", "ana", "--org", target.slug)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["customer"]["external_id"] == "ana"
    assert [e["activity"] for e in doc["events"]] == ["order_placed", "order_shipped"]
    assert [s["moment"] for s in doc["processes"][0]["stays"]] == ["purchase", "delivery"]
    result = target.run("customers", "erase", "ana", "--org", target.slug)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed"]["events"] == 2
    again = target.run("customers", "export", "ana", "--org", target.slug)
    assert again.exit_code == 2 and "Customer not found" in again.output
    with unit_of_work(make_session_factory(target.engine)) as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.actor_kind)
                               .where(AuditEntry.org_id == target.org_id).order_by(AuditEntry.id)).all()
    # the set-up's configuration (service, touchpoints) is audited too: the customer's entries are these two
    assert [tuple(r) for r in rows if r[0].startswith("customer.")] == [("customer.export", "cli"),
                                                                         ("customer.erase", "cli")]
