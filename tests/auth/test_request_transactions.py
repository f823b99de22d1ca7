"""Requests that only read (GET, HEAD, routes marked ``auth.deps.reads`` such as previews) run in reading
transactions: a plain BEGIN on SQLite, which never takes the write lock, and READ ONLY on PostgreSQL; the others
take SQLite's write lock at BEGIN as before."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from momentos.app import _routers
from momentos.auth.deps import TRANSACTION, reads, reads_only, writes
from momentos.db import make_read_session_factory, make_session_factory
from momentos.models import Organization
from momentos.notify import templates_api
from momentos.web import config_messages
from tests.conftest import LiveServer

SLOW = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"


def _request(method: str, endpoint: Any) -> Request:
    return Request({"type": "http", "method": method, "path": "/", "headers": [], "endpoint": endpoint})


def test_the_method_chooses_unless_the_route_is_marked() -> None:
    def plain() -> None: ...

    @reads
    def preview() -> None: ...

    @writes
    def touch() -> None: ...

    assert reads_only(_request("GET", plain)) and reads_only(_request("HEAD", plain))
    assert not reads_only(_request("POST", plain)) and not reads_only(_request("DELETE", plain))
    assert reads_only(_request("POST", preview))
    assert not reads_only(_request("GET", touch))
    assert reads_only(_request("POST", templates_api.preview_draft))
    assert reads_only(_request("POST", config_messages.preview_template))
    assert not reads_only(_request("POST", config_messages.save_template))


def test_the_api_routes_marked_as_reading_are_the_draft_previews() -> None:
    routes = [route for router in _routers() for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 50  # the walk itself works
    marked = {route.path for route in routes if getattr(route.endpoint, TRANSACTION, None) == "read"}
    assert marked == {"/api/v1/notification-templates/{purpose}/preview"}  # the API; the page's: above


def test_reading_transactions_are_read_only_on_postgresql_and_deferred_on_sqlite(engine: Engine) -> None:
    reading, writing = make_read_session_factory(engine)(), make_session_factory(engine)()
    try:
        assert reading.scalar(text("SELECT count(*) FROM organizations")) is not None
        if engine.dialect.name == "postgresql":
            assert reading.scalar(text("SHOW transaction_read_only")) == "on"
            assert writing.scalar(text("SHOW transaction_read_only")) == "off"
            with pytest.raises(DBAPIError, match="read-only transaction"):
                reading.execute(text("UPDATE organizations SET name = name WHERE id = -1"))
        else:
            with _write_lock(engine):  # another connection takes the write lock at once: the reader holds none
                pass
            writing.scalar(text("SELECT 1"))  # BEGIN IMMEDIATE: now the write lock is taken
            with pytest.raises(sqlite3.OperationalError, match="locked"), _write_lock(engine):
                pass
    finally:
        reading.close()
        writing.close()


@contextmanager
def _write_lock(engine: Engine) -> Iterator[None]:
    """SQLite's write lock held by another connection, taken without waiting (raises when someone holds it)."""
    connection = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_reads_and_previews_answer_while_a_writer_holds_the_sqlite_lock(live_server: LiveServer,
                                                                        engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    org = live_server.new_org()
    with httpx.Client(base_url=live_server.url, headers=org.admin, timeout=60) as client, _write_lock(engine):
        started = time.monotonic()
        assert client.get("/api/v1/services").status_code == 200
        r = client.post("/api/v1/notification-templates/status/preview", json={"subject": "s", "body": "b"})
        assert r.status_code == 200, r.text
        assert time.monotonic() - started < 2  # before: each waited for the lock (busy_timeout, 30 s), then 500


def test_a_heavy_preview_never_holds_the_sqlite_write_lock(live_server: LiveServer, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    org = live_server.new_org()
    answers: list[httpx.Response] = []
    preview = threading.Thread(target=lambda: answers.append(httpx.post(
        f"{live_server.url}/api/v1/notification-templates/status/preview", json={"subject": "s", "body": SLOW},
        headers=org.admin, timeout=60)))
    preview.start()
    taken = 0
    while preview.is_alive():  # the whole time the draft renders, a writer gets the lock without waiting
        with _write_lock(engine):
            taken += 1
        time.sleep(0.02)
    preview.join()
    assert answers[0].status_code == 422 and answers[0].json()["code"] == "template_too_costly"
    assert taken >= 3
    assert live_server.read(lambda s: s.get(Organization, org.id)) is not None
