"""The worker's loop: every job of a round in order, a failing job logged without stopping the others, jobs that
last across rounds opened and closed, ``once`` and ``stop``; the bootstrap's list of jobs; the notify settings as a
nested section (with the older names still read)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from momentos.bootstrap import bootstrap
from momentos.config import Settings
from momentos.notify.tasks import DeliverJob
from momentos.worker import loop
from momentos.worker.jobs import BatchJob, Context, Lasting

FACTORY: sessionmaker[Session] = sessionmaker()


@dataclass
class Counting:
    """Does ``work`` units in its first rounds, then nothing; remembers what the loop told it."""

    name: str
    work: list[int]
    calls: list[str] = field(default_factory=list)
    owner: str | None = None

    def run(self, factory: sessionmaker[Session], now: datetime) -> int:
        self.calls.append("run")
        return self.work.pop(0) if self.work else 0

    def open(self, context: Context) -> None:
        self.owner = context.owner
        self.calls.append("open")

    def close(self) -> None:
        self.calls.append("close")


def _fails(factory: sessionmaker[Session], now: datetime) -> int:
    raise RuntimeError("boom")


def test_a_round_runs_every_job_in_order_and_a_failing_one_does_not_stop_the_others() -> None:
    seen: list[tuple[str, int, str | None]] = []

    def observe(name: str, seconds: float, units: int, error: BaseException | None) -> None:
        assert seconds >= 0
        seen.append((name, units, None if error is None else str(error)))

    first, last = Counting("a.first", [2]), Counting("c.last", [3])
    done = loop.run_round(FACTORY, [first, BatchJob("b.fails", _fails), last], observe=observe)
    assert done == 5
    assert seen == [("a.first", 2, None), ("b.fails", 0, "boom"), ("c.last", 3, None)]


def test_run_with_once_goes_until_a_round_finds_nothing_and_closes_what_it_opened() -> None:
    lasting, plain = Counting("a.lasting", [1, 1]), BatchJob("b.plain", lambda factory, now: 0)
    assert isinstance(lasting, Lasting) and not isinstance(plain, Lasting)
    assert loop.run(FACTORY, [lasting, plain], "w1", once=True) == 2
    assert lasting.owner == "w1"
    assert lasting.calls == ["open", "run", "run", "run", "close"]


def test_a_set_stop_ends_the_loop_after_its_round_and_idle_exit_ends_an_idle_one() -> None:
    stop = threading.Event()
    busy = Counting("a.busy", [1] * 1000)
    ended = Counting("b.ends", [])
    original = ended.run

    def run_then_stop(factory: sessionmaker[Session], now: datetime) -> int:
        stop.set()
        return original(factory, now)

    ended.run = run_then_stop  # type: ignore[method-assign]
    assert loop.run(FACTORY, [busy, ended], "w1", stop=stop) == 1  # one round, busy as it was
    idle = Counting("a.idle", [])
    assert loop.run(FACTORY, [idle], "w1", poll_seconds=0.01, idle_exit=0.05) == 0
    assert idle.calls.count("run") >= 2 and idle.calls[-1] == "close"


def test_the_bootstrap_lists_the_jobs_in_the_order_of_a_round() -> None:
    wiring = bootstrap(Settings(environment="test", public_url="https://m.example"))
    assert [job.name for job in wiring.jobs] == ["notify.deliver", "promises.clock", "listening.analyse",
                                                 "listening.watch", "analytics.refresh"]
    deliver = wiring.jobs[0]
    assert isinstance(deliver, DeliverJob) and isinstance(deliver, Lasting)
    assert deliver.settings.public_url == "https://m.example"  # links get the app's URL unless notify names one


def test_notify_settings_are_a_nested_section_and_the_older_names_are_still_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTOS_NOTIFY_SMTP_PORT", "2525")
    monkeypatch.setenv("MOMENTOS_NOTIFY_MAIL_FROM", "old@example.com")
    monkeypatch.setenv("MOMENTOS_NOTIFY__MAIL_FROM", "new@example.com")
    monkeypatch.setenv("MOMENTOS_NOTIFY__WEBHOOK_ALLOW", '["127.0.0.1/32"]')
    notify = Settings().notify
    assert (notify.smtp_port, notify.mail_from, notify.webhook_allow) == (2525, "new@example.com", ["127.0.0.1/32"])
