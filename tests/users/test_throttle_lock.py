"""Sign-in attempts hold their account and address until they commit, so parallel ones are counted in turn."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, delete

from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import LoginFailure
from momentos.users import service as users
from tests.conftest import unique_slug


def test_an_attempt_waits_for_the_one_in_flight_on_the_same_account_and_counts_its_failure(engine: Engine) -> None:
    factory = make_session_factory(engine)
    email, now = f"{unique_slug('lock')}@example.com", utcnow()
    first = factory()
    found: dict[str, int] = {}

    def second() -> None:
        with unit_of_work(factory) as session:
            found["wait"] = users.begin_attempt(session, email, "198.51.100.2", now)

    try:
        assert users.begin_attempt(first, email, "198.51.100.1", now) == 0
        for _ in range(users.ACCOUNT_LIMIT - 1):
            users.record_failure(first, email, "198.51.100.1", now)
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the second attempt did not wait for the first"
        users.record_failure(first, email, "198.51.100.1", now)  # the fifth failure, committed below
        first.commit()
        waiting.join(timeout=30)
        assert not waiting.is_alive()
        assert found["wait"] > 0  # it saw all five
    finally:
        first.close()
        with unit_of_work(factory) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.subject.in_(
                [f"email:{email}", "ip:198.51.100.1", "ip:198.51.100.2"])))


def test_attempts_on_other_accounts_and_addresses_do_not_wait_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer")
    factory = make_session_factory(engine)
    now = utcnow()
    first = factory()
    try:
        users.begin_attempt(first, f"{unique_slug('a')}@example.com", "198.51.100.3", now)
        done = threading.Event()

        def other() -> None:
            with unit_of_work(factory) as session:
                users.begin_attempt(session, f"{unique_slug('b')}@example.com", "198.51.100.4", now)
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(timeout=10)
    finally:
        first.rollback()
        first.close()
