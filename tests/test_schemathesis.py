"""Schemathesis against the app's OpenAPI, as organization A (admin key), with organizations A and B seeded with
data carrying marker strings: no operation answers 5xx, and no answer to A contains any of B's markers.

Bounded: two valid and two invalid cases per operation (about 350 per database, within ``BUDGET_SECONDS``),
derandomized, ``/api/v1`` and the doors only;
every failure is collected (no shrinking) and reported at once with the request that caused it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from momentos.app import create_app
from momentos.audit.service import Actor
from momentos.catalog.schemas import JourneyModelCreate, MomentIn
from momentos.catalog.service import create_journey_model
from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Feedback, Need, NotificationTemplate, Organization
from tests import conftest
from tests.conftest import OrgHandle, make_org
from tests.factories import event, make_service, send

EXAMPLES_PER_OPERATION = 2
"""Per operation and generation mode (valid and invalid input): about 350 requests per database."""
BUDGET_SECONDS = 75.0
"""A cap per database, not a target: a loaded machine stops early (after at least ``MIN_CALLS`` requests)."""
MIN_CALLS = 100
PATHS = ("/api/v1/", "/v1/")


def _markers(tag: str) -> dict[str, str]:
    return {name: f"{name}{tag}" for name in ("svc", "cust", "trait", "prop", "tmpl", "need", "fb", "model")}


def _seed(session: Session, org: OrgHandle, tag: str) -> list[str]:
    """Data of every kind the API lists, each carrying a marker made of ``tag``; returns the markers."""
    m = _markers(tag)
    make_service(session, org.id, key=m["svc"])
    create_journey_model(session, org.id, JourneyModelCreate(key=m["model"], name_es=m["model"], name_en=m["model"],
                                                             moments=[MomentIn(key=k, name_es=k, name_en=k,
                                                                               maps_to=[to])
                                                                      for k, to in (("a", "awareness"),
                                                                                    ("b", "purchase"))]),
                         actor=Actor.cli("tests"))
    send(session, org.id, event(m["cust"], "order_placed", 0, properties={"note": m["prop"]}),
         event(m["cust"], "order_shipped", 5))
    now = utcnow()
    session.add(NotificationTemplate(org_id=org.id, purpose="status", moment="*", channel="*", language="es",
                                     subject=m["tmpl"], body=m["tmpl"], updated_at=now))
    need = Need(org_id=org.id, label=m["need"], terms=[m["need"]], created_at=now, updated_at=now)
    session.add(need)
    session.flush()
    session.add(Feedback(org_id=org.id, kind="survey", source="survey", text=m["fb"], nps=3, moment="delivery",
                         perception={}, occurred_at=now, created_at=now, sentiment="neg", need_id=need.id))
    session.flush()
    return list(m.values())


@dataclass
class Seeded:
    app: FastAPI
    a: OrgHandle
    b_markers: list[str]
    failures: list[str] = field(default_factory=list)
    calls: int = 0


@pytest.fixture
def seeded(engine: Engine) -> Iterator[Seeded]:
    """The app over the run's migrated database with its own transactions (committed data, as in production);
    the organizations made here are deleted afterwards."""
    app = create_app(conftest.test_settings())
    app.state.engine = engine
    app.state.session_factory = factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        first_new_org = int(session.scalar(select(func.max(Organization.id))) or 0) + 1
        a, b = make_org(session), make_org(session)
        _seed(session, a, "qa9z")
        b_markers = _seed(session, b, "qb7x")
    try:
        yield Seeded(app, a, b_markers)
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id >= first_new_org))


def _describe(case: Any) -> str:
    return f"{case.method} {case.formatted_path} query={case.query!r} body={str(case.body)[:300]!r}"


def _exercise(seeded: Seeded, operation: Any, mode: GenerationMode, deadline: float) -> None:
    """Up to ``EXAMPLES_PER_OPERATION`` cases of one operation; failures are collected, not raised (no shrinking)."""
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        if time.monotonic() > deadline:
            return
        response = case.call(headers=seeded.a.admin)
        seeded.calls += 1
        if response.status_code >= 500:
            seeded.failures.append(f"{response.status_code}: {_describe(case)} -> {response.text[:200]}")
        leaked = [marker for marker in seeded.b_markers if marker in response.text]
        if leaked:
            seeded.failures.append(f"B's {leaked} in the answer to A: {_describe(case)}")

    with contextlib.suppress(Unsatisfiable):  # e.g. no negative case of an operation without parameters
        run()


def _as_server(app: FastAPI) -> Any:
    """The app as a server runs it: an unhandled error is the 500 already sent, not an exception in the test."""
    async def served(scope: Any, receive: Any, send: Any) -> None:
        with contextlib.suppress(Exception):  # Starlette sent the 500 before re-raising; the check counts it
            await app(scope, receive, send)

    return served


def test_no_operation_answers_5xx_or_shows_another_organizations_data(seeded: Seeded) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", _as_server(seeded.app))
    deadline = time.monotonic() + BUDGET_SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(PATHS)]
    assert len(operations) > 50  # the schema was read and filtered as meant
    for operation in operations:
        if time.monotonic() > deadline:
            break
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(seeded, operation, mode, deadline)
    assert seeded.calls >= MIN_CALLS, f"only {seeded.calls} requests within the time budget"
    assert not seeded.failures, "\n".join(seeded.failures)
