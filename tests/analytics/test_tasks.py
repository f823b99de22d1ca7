"""The worker job folds committed events into the aggregates, once, and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from momentos.analytics import incremental, tasks
from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.bootstrap import jobs
from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import AnalyticsState, Organization
from tests import conftest
from tests.analytics.scenario import load_shop
from tests.conftest import make_org
from tests.factories import event, make_service, send


@pytest.fixture
def committed_org(engine: Engine) -> Iterator[tuple[sessionmaker[Session], int]]:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = make_org(session).id
        load_shop(session, org_id)
    yield factory, org_id
    with unit_of_work(factory) as session:
        session.execute(delete(Organization).where(Organization.id == org_id))


def test_worker_job_refreshes_each_organization_once(committed_org: tuple[sessionmaker[Session], int]) -> None:
    factory, org_id = committed_org
    assert tasks.REFRESH in jobs(conftest.test_settings())
    assert tasks.REFRESH.run(factory, utcnow()) >= 4  # the four customers' processes
    with unit_of_work(factory) as session:
        state = session.scalar(select(AnalyticsState).where(AnalyticsState.org_id == org_id))
        assert state is not None and state.event_watermark > 0
        assert not incremental.is_behind(session, org_id)
        q = AnalyticsQuery(service="shop", by="moment")
        assert analytics.dfg(session, org_id, q) == analytics.dfg(session, org_id, q, full=True)
    with unit_of_work(factory) as session:
        assert incremental.catch_up(session, org_id) is None
    assert tasks.REFRESH.run(factory, utcnow()) == 0 or _others_behind(factory, org_id)


def _others_behind(factory: sessionmaker[Session], org_id: int) -> bool:
    """Organizations committed by other tests may still be refreshed; ours must not be."""
    with unit_of_work(factory) as session:
        return not incremental.is_behind(session, org_id)


def test_postgresql_watermark_waits_for_an_ingestion_in_flight(engines: dict[str, Engine]) -> None:
    """Ids are handed out before commit on PostgreSQL: while an ingestion is open, a refresh folds in what is
    committed (answers stay exact) but keeps its watermark, so the open batch is not skipped once committed."""
    factory = make_session_factory(engines["postgresql"])
    with unit_of_work(factory) as session:
        org_id = make_org(session).id
        make_service(session, org_id)
        send(session, org_id, event("ana", "ad_clicked", 0, service="shop"))
    try:
        with unit_of_work(factory) as session:
            first = incremental.catch_up(session, org_id)
        assert first is not None
        in_flight = factory()
        send(in_flight, org_id, event("ben", "ad_clicked", 0, service="shop"))  # holds ids, not committed
        with unit_of_work(factory) as session:
            send(session, org_id, event("cai", "signed_up", 0, service="shop"))
        with unit_of_work(factory) as session:
            held = incremental.catch_up(session, org_id)
            assert held is not None and not held.advanced and held.watermark == first.watermark
            assert analytics.start_end(session, org_id, AnalyticsQuery()).start == {"ad_clicked": 1, "signed_up": 1}
        in_flight.commit()
        in_flight.close()
        with unit_of_work(factory) as session:
            done = incremental.catch_up(session, org_id)
            assert done is not None and done.advanced
            q = AnalyticsQuery()
            assert analytics.start_end(session, org_id, q).start == {"ad_clicked": 2, "signed_up": 1}
            assert analytics.variants(session, org_id, q) == analytics.variants(session, org_id, q, full=True)
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id == org_id))
