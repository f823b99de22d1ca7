"""The early-warning watch on stored feedback, driven by the clock (no sleeps): a new organization's quiet first days
raise nothing; a spike is alerted at the first 15-minute check after it begins, once for the whole episode; the
``momentos feedback warnings`` command prints the episodes of an imported history and writes nothing."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.cli import app, register_commands
from momentos.db import make_session_factory, table_of, unit_of_work
from momentos.kit.clock import utcnow
from momentos.listening.warning import service as early_warning
from momentos.models import Feedback, Notification, Organization, WarningEpisode
from tests.conftest import OrgHandle, make_org

QUARTER = timedelta(minutes=15)


def _feed(db: Session, org_id: int, start: datetime, end: datetime, *, spike: tuple[datetime, int] | None = None,
          seed: int = 3) -> None:
    """A new organization's mentions from ``start`` to ``end``: ~300 a day, busy afternoons, quiet nights, ~30 %
    negative; ``spike`` = (from, mentions per quarter hour for two hours, 80 % negative)."""
    rng = random.Random(seed)
    rows, at, i = [], start, 0
    while at < end:
        hour = at.hour + at.minute / 60
        usual = 0.4 + 5 * max(0.0, 1 - abs(hour - 15) / 9)
        extra = spike[1] if spike and spike[0] <= at < spike[0] + 8 * QUARTER else 0
        for k in range(int(rng.expovariate(1 / usual) + 0.5) + extra):
            negative = rng.random() < (0.8 if k < extra else 0.3)
            rows.append({"org_id": org_id, "kind": "social", "source": "x", "external_id": f"m{i}",
                         "text": "terrible" if negative else "fine", "perception": {},
                         "occurred_at": at + timedelta(seconds=rng.randrange(900)), "created_at": at,
                         "sentiment": "neg" if negative else "pos", "analyzed_at": at})
            i += 1
        at += QUARTER
    db.execute(table_of(Feedback).insert(), rows)
    db.flush()


def _alerts(db: Session, org_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(Notification).where(
        Notification.org_id == org_id, Notification.template == "listening_alert")) or 0)


def test_a_new_organizations_quiet_first_days_raise_no_alert(db: Session, org: OrgHandle) -> None:
    start = early_warning.quarter_floor(utcnow()) - timedelta(days=3)
    _feed(db, org.id, start, start + timedelta(days=3))
    assert early_warning.mode(db, org.id, start + timedelta(hours=12)) == "silent"
    assert early_warning.mode(db, org.id, start + timedelta(days=2)) == "warming"
    for hour in range(1, 72):  # the worker's checks, each catching up the quarters since the previous one
        assert early_warning.check(db, org.id, start + timedelta(hours=hour)) == 0
    assert db.scalar(select(func.count()).select_from(WarningEpisode).where(WarningEpisode.org_id == org.id)) == 0


def test_a_spike_is_alerted_within_15_minutes_once_per_episode(db: Session, org: OrgHandle) -> None:
    day = early_warning.quarter_floor(utcnow()).replace(hour=0, minute=0) - timedelta(days=3)
    onset = day + timedelta(days=2, hours=14)
    _feed(db, org.id, day, day + timedelta(days=3), spike=(onset, 20))
    assert early_warning.check(db, org.id, onset - QUARTER) == 0
    assert early_warning.check(db, org.id, onset) == 0
    assert early_warning.check(db, org.id, onset + QUARTER + timedelta(seconds=30)) == 1  # within 15 minutes
    [episode] = db.scalars(select(WarningEpisode).where(WarningEpisode.org_id == org.id)).all()
    assert episode.started_at == onset and episode.detail["mode"] == "warming"
    for k in range(2, 20):  # the spike goes on for two hours, then ends: the same episode, no second alert
        assert early_warning.check(db, org.id, onset + k * QUARTER) == 0
    [again] = db.scalars(select(WarningEpisode).where(WarningEpisode.org_id == org.id)).all()
    db.refresh(again)
    assert again.id == episode.id and again.last_hour_at >= onset + timedelta(hours=1)
    assert again.negatives > 20 and _alerts(db, org.id) == 1


@pytest.fixture
def cli_org(engine: Engine) -> Iterator[tuple[str, int, str]]:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
    yield org.slug, org.id, engine.url.render_as_string(hide_password=False)
    with unit_of_work(factory) as session:
        session.execute(delete(Organization).where(Organization.id == org.id))


def test_the_warnings_command_prints_the_episodes_of_an_imported_history(cli_org: tuple[str, int, str],
                                                                         engine: Engine) -> None:
    slug, org_id, url = cli_org
    day = datetime(2024, 5, 6, tzinfo=UTC)
    onset = day + timedelta(days=2, hours=14)
    with unit_of_work(make_session_factory(engine)) as session:
        _feed(session, org_id, day, day + timedelta(days=3), spike=(onset, 20))
    register_commands()
    runner = CliRunner()
    result = runner.invoke(app, ["feedback", "warnings", "--org", slug, "--from", "2024-05-06", "--to", "2024-05-09",
                                 "--json"], env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    [found] = json.loads(result.stdout)
    assert (found["scope"], found["mode"], found["started_at"]) == ("organization", "warming", onset.isoformat())
    assert found["alarmed_at"] == (onset + QUARTER).isoformat() and found["negatives"] > 20
    text = runner.invoke(app, ["feedback", "warnings", "--org", slug, "--from", "2024-05-06", "--to", "2024-05-09"],
                         env={"MOMENTOS_DATABASE_URL": url})
    assert text.exit_code == 0 and "organization" in text.stdout and "1 episode(s)" in text.stderr
    bad = runner.invoke(app, ["feedback", "warnings", "--org", slug, "--from", "May", "--to", "2024-05-09"],
                        env={"MOMENTOS_DATABASE_URL": url})
    assert bad.exit_code == 2 and "--from must be a date" in bad.stderr
    with engine.connect() as conn:  # nothing recorded, nobody alerted
        assert conn.scalar(select(func.count()).select_from(WarningEpisode).where(
            WarningEpisode.org_id == org_id)) == 0
        assert conn.scalar(select(func.count()).select_from(Notification).where(Notification.org_id == org_id)) == 0
