"""Reads never write: an answer folds the events above the watermark in memory, takes no write lock and leaves the
aggregate tables and the watermark as they were; only the refresh job (and the import entry points through it)
writes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from momentos.analytics import incremental, tasks
from momentos.db import is_postgres, make_engine, make_session_factory, unit_of_work
from momentos.imports.history import Actor, run_import
from momentos.imports.readers import ImportOptions
from momentos.models import Organization
from tests.analytics.scenario import load_shop
from tests.analytics.test_incremental import QUERIES, VIEWS, _as_list, _same, stored_aggregates
from tests.conftest import make_org
from tests.factories import REACTIONS, event, make_service, send


@pytest.fixture
def behind_org(engine: Engine) -> Iterator[tuple[sessionmaker[Session], int]]:
    """A committed organization whose aggregates were refreshed once, with a committed batch above the watermark."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = make_org(session).id
        load_shop(session, org_id)
    tasks.refresh_organization(factory, org_id)
    with unit_of_work(factory) as session:
        send(session, org_id, event("bob", "order_placed", 70, channel="web", service="shop"),
             event("erin", "ad_clicked", 5, channel="web", service="shop"))
    yield factory, org_id
    with unit_of_work(factory) as session:
        session.execute(delete(Organization).where(Organization.id == org_id))


def _answers(session: Session, org_id: int, full: bool = False) -> list[list[object]]:
    return [[x.model_dump() for x in _as_list(view(session, org_id, q, full=full))]
            for q in QUERIES if q.service != "alt" for view in VIEWS.values()]


def test_a_read_takes_no_write_lock_and_leaves_the_aggregates_untouched(
        engine: Engine, behind_org: tuple[sessionmaker[Session], int]) -> None:
    factory, org_id = behind_org
    with unit_of_work(factory) as session:
        before = stored_aggregates(session, org_id)
        expected = _answers(session, org_id, full=True)
    postgres = is_postgres(engine)
    reader_engine = engine if postgres else make_engine(engine.url.render_as_string(hide_password=False),
                                                        deferred=True)
    holder = factory()
    try:
        if postgres:  # what a refresh takes: its state row and the right to write the aggregate tables
            holder.execute(text("SELECT 1 FROM analytics_state WHERE org_id = :org FOR UPDATE"), {"org": org_id})
            holder.execute(text("LOCK TABLE analytics_pairs, analytics_variants, analytics_moments "
                                "IN SHARE ROW EXCLUSIVE MODE"))
        else:
            holder.execute(text("SELECT 1"))  # the factory's transactions begin IMMEDIATE: the write lock is held
        reader = make_session_factory(reader_engine)()
        try:
            reader.execute(text("SET LOCAL lock_timeout = '3s'" if postgres else "PRAGMA busy_timeout = 300"))
            pending = incremental.pending(reader, org_id)
            assert pending is not None and pending.cases == 2 and pending.delta is not None
            got = _answers(reader, org_id)
            if postgres:  # no transaction id was assigned: the read wrote nothing at all
                assert reader.scalar(text("SELECT txid_current_if_assigned()")) is None
            else:
                reader.execute(text("PRAGMA busy_timeout = 30000"))
            reader.rollback()
        finally:
            reader.close()
    finally:
        holder.rollback()
        holder.close()
        if reader_engine is not engine:
            reader_engine.dispose()
    _same(got, expected)
    with unit_of_work(factory) as session:
        assert stored_aggregates(session, org_id) == before
        assert incremental.is_behind(session, org_id)  # still behind: only the job moves the watermark
    assert tasks.refresh_organization(factory, org_id) == 2
    with unit_of_work(factory) as session:
        assert not incremental.is_behind(session, org_id)
        _same(_answers(session, org_id), expected)


def test_an_import_refreshes_its_organization_after_committing(engine: Engine, tmp_path: Path) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = make_org(session).id
        make_service(session, org_id)
    try:
        path = tmp_path / "log.csv"
        path.write_text("case,activity,timestamp\nc1,ad_clicked,2025-01-01T10:00:00Z\n"
                        "c1,signed_up,2025-01-01T11:00:00Z\nc2,ad_clicked,2025-01-02T10:00:00Z\n")
        outcome = run_import(factory, org_id, path, ImportOptions(service="shop"), Actor.command_line(),
                             reactions=REACTIONS)
        assert outcome.report is not None and outcome.report.accepted == 3
        with unit_of_work(factory) as session:
            assert not incremental.is_behind(session, org_id)
            pending = incremental.pending(session, org_id)
            assert pending is not None and pending.delta is None  # the first answer reads stored aggregates
            _same(_answers(session, org_id), _answers(session, org_id, full=True))
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id == org_id))


def test_a_failed_refresh_after_an_import_leaves_the_import_ok(engine: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(factory: sessionmaker[Session], org_id: int) -> int:
        raise OperationalError("UPDATE analytics_state", {}, Exception("database is locked"))

    monkeypatch.setattr(tasks, "refresh_organization", refuse)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = make_org(session).id
        make_service(session, org_id)
    try:
        path = tmp_path / "log.csv"
        path.write_text("case,activity,timestamp\nc1,ad_clicked,2025-01-01T10:00:00Z\n")
        outcome = run_import(factory, org_id, path, ImportOptions(service="shop"), Actor.command_line(),
                             reactions=REACTIONS)
        assert outcome.error is None and outcome.record.status == "ok"
        with unit_of_work(factory) as session:
            assert incremental.pending(session, org_id) is None  # never refreshed: reads take the full path
            _same(_answers(session, org_id), _answers(session, org_id, full=True))
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id == org_id))
