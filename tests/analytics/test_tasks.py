"""The worker job folds committed events into the aggregates, once, and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from momentos.analytics import incremental, tasks
from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.db import make_session_factory, unit_of_work
from momentos.jobs import JOB_MODULES
from momentos.kit.clock import utcnow
from momentos.models import AnalyticsState, Organization
from tests.analytics.scenario import load_shop
from tests.conftest import make_org


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
    assert "momentos.analytics.tasks" in JOB_MODULES
    assert tasks.run_job(factory, utcnow()) >= 4  # the four customers' processes
    with unit_of_work(factory) as session:
        state = session.scalar(select(AnalyticsState).where(AnalyticsState.org_id == org_id))
        assert state is not None and state.event_watermark > 0
        assert not incremental.is_behind(session, org_id)
        q = AnalyticsQuery(service="shop", by="moment")
        assert analytics.dfg(session, org_id, q) == analytics.dfg(session, org_id, q, full=True)
    with unit_of_work(factory) as session:
        assert incremental.catch_up(session, org_id) is None
    assert tasks.run_job(factory, utcnow()) == 0 or _others_behind(factory, org_id)


def _others_behind(factory: sessionmaker[Session], org_id: int) -> bool:
    """Organizations committed by other tests may still be refreshed; ours must not be."""
    with unit_of_work(factory) as session:
        return not incremental.is_behind(session, org_id)
