"""The sign-in throttle against a real server: parallel attempts are counted one by one, and the per-address
limit counts the connection's peer unless it is a configured proxy (``MOMENTOS_TRUSTED_PROXIES``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, delete, select, update

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import LoginFailure
from momentos.users import service as users
from tests.conftest import LiveServer, running_server
from tests.web.dashboard_helpers import PASSWORD, add_user
from tests.web.seed import csrf_of

pytestmark = [pytest.mark.live]
PARALLEL = 16
LOOPBACK = "ip:127.0.0.1"


def _forget_failures(server: LiveServer, *subjects: str, prefix: str | None = None) -> None:
    with unit_of_work(server.factory) as session:
        wanted = LoginFailure.subject.in_(subjects)
        session.execute(delete(LoginFailure).where(wanted | LoginFailure.subject.startswith(prefix) if prefix
                                                   else wanted))


@pytest.fixture
def server(engine: Engine) -> Iterator[LiveServer]:
    with running_server(engine) as live:
        _forget_failures(live, LOOPBACK)  # earlier tests' failures from loopback must not count here
        try:
            yield live
        finally:
            _forget_failures(live, LOOPBACK)


def _subjects(server: LiveServer, prefix: str) -> list[str]:
    return list(server.read(lambda s: s.scalars(select(LoginFailure.subject)
                                                .where(LoginFailure.subject.startswith(prefix))).all()))


def _attempt(client: httpx.Client, token: str, email: str, password: str,
             headers: dict[str, str] | None = None) -> int:
    r = client.post("/login", data={"email": email, "password": password, "csrf": token}, headers=headers)
    return r.status_code


def test_parallel_wrong_passwords_are_counted_one_by_one_and_lock_the_account(server: LiveServer) -> None:
    org = server.new_org()
    email = add_user(server, org.id, "owner")
    clients = [httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) for _ in range(PARALLEL)]
    tokens = [csrf_of(c.get("/login").text) for c in clients]
    start, statuses = threading.Barrier(PARALLEL), [0] * PARALLEL

    def guess(i: int) -> None:
        start.wait()
        statuses[i] = _attempt(clients[i], tokens[i], email, f"wrong password {i}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(PARALLEL)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        checked = statuses.count(401)
        assert 1 <= checked <= users.ACCOUNT_LIMIT, statuses
        assert statuses.count(429) == PARALLEL - checked, statuses
        assert len(_subjects(server, f"email:{email}")) == checked
        assert _attempt(clients[0], tokens[0], email, PASSWORD) == 429  # the right password waits too
        with unit_of_work(server.factory) as session:  # the window passes
            session.execute(update(LoginFailure).where(LoginFailure.subject == f"email:{email}")
                            .values(failed_at=utcnow() - users.THROTTLE_WINDOW - timedelta(seconds=1)))
        assert _attempt(clients[0], tokens[0], email, PASSWORD) == 303
    finally:
        for c in clients:
            c.close()


def _spray(server: LiveServer, attempts: int) -> list[int]:
    """Wrong passwords for different accounts, each with another X-Forwarded-For address."""
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as c:
        token = csrf_of(c.get("/login").text)
        return [_attempt(c, token, f"spray-{i}@example.com", "wrong password!",
                         headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}) for i in range(attempts)]


def test_rotating_forwarded_for_does_not_get_past_the_address_limit_by_default(server: LiveServer) -> None:
    statuses = _spray(server, users.ADDRESS_LIMIT + 1)
    assert statuses == [401] * users.ADDRESS_LIMIT + [429]
    assert len(_subjects(server, LOOPBACK)) == users.ADDRESS_LIMIT
    assert _subjects(server, "ip:203.0.113.") == []


def test_a_trusted_proxy_s_forwarded_address_is_the_client(engine: Engine) -> None:
    with running_server(engine, trusted_proxies=["127.0.0.1"]) as server:
        _forget_failures(server, LOOPBACK, prefix="ip:203.0.113.")
        try:
            statuses = _spray(server, users.ADDRESS_LIMIT + 1)
            assert statuses == [401] * (users.ADDRESS_LIMIT + 1)
            assert sorted(_subjects(server, "ip:203.0.113.")) == sorted(
                f"ip:203.0.113.{i + 1}" for i in range(users.ADDRESS_LIMIT + 1))
            assert _subjects(server, LOOPBACK) == []
        finally:
            _forget_failures(server, LOOPBACK, prefix="ip:203.0.113.")


def test_forwarded_headers_from_an_untrusted_peer_are_ignored_even_with_proxies_configured(engine: Engine) -> None:
    with running_server(engine, trusted_proxies=["10.0.0.0/8"]) as server:
        _forget_failures(server, LOOPBACK, prefix="ip:203.0.113.")
        try:
            assert _spray(server, 3) == [401] * 3
            assert len(_subjects(server, LOOPBACK)) == 3
            assert _subjects(server, "ip:203.0.113.") == []
        finally:
            _forget_failures(server, LOOPBACK, prefix="ip:203.0.113.")
