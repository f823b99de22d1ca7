"""Real, migrated databases (SQLite file and PostgreSQL schema) per run; a rolled-back transaction per test."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from momentos.app import create_app
from momentos.auth.deps import get_session, reads_only
from momentos.config import Settings
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.migrate import upgrade
from momentos.models import Organization
from momentos.orgs.schemas import IssuedKeys, OrganizationCreate
from momentos.orgs.service import create_organization
from momentos.web.proxies import SERVER_OPTIONS

PG_URL = os.environ.get("MOMENTOS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATA = Path(__file__).parent / "data"
BACKENDS = ["sqlite", "postgresql"]


def _pg_schema(worker: str) -> str:
    return f"momentos_test_{worker}_{os.getpid()}"


def _pg_engine(worker: str) -> Engine:
    admin = make_engine(PG_URL)
    schema = _pg_schema(worker)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.exit(f"PostgreSQL is not reachable at {PG_URL}: {exc}. Start it (make test does) or set "
                    "MOMENTOS_TEST_POSTGRES_URL.", returncode=3)
    finally:
        admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")


@pytest.fixture(scope="session")
def worker_id_safe(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory, worker_id_safe: str) -> Iterator[dict[str, Engine]]:
    sqlite_path = tmp_path_factory.mktemp("db") / "momentos.db"
    built = {"sqlite": make_engine(f"sqlite:///{sqlite_path}"), "postgresql": _pg_engine(worker_id_safe)}
    for engine in built.values():
        upgrade(engine)
    yield built
    for engine in built.values():
        engine.dispose()
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{_pg_schema(worker_id_safe)}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, engines: dict[str, Engine]) -> Engine:
    return engines[request.param]


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False,
                      autoflush=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@dataclass
class OrgHandle:
    id: int
    slug: str
    keys: IssuedKeys

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.admin_key}"}

    @property
    def writer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.write_key}"}


_counter = {"n": 0}


def unique_slug(prefix: str = "org") -> str:
    _counter["n"] += 1
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}-{_counter['n']}"


def make_org(session: Session, slug: str | None = None, **kwargs: Any) -> OrgHandle:
    org, keys = create_organization(session, OrganizationCreate(slug=slug or unique_slug(), name="Test org",
                                                                **kwargs))
    return OrgHandle(org.id, org.slug, keys)


@pytest.fixture
def org(db: Session) -> OrgHandle:
    return make_org(db)


@pytest.fixture
def other_org(db: Session) -> OrgHandle:
    return make_org(db)


def test_settings(**kwargs: Any) -> Settings:
    return Settings(environment="test", **kwargs)


@pytest.fixture
def app_settings() -> Settings:
    return test_settings()


@pytest.fixture
def client(db: Session, engine: Engine, app_settings: Settings) -> Iterator[TestClient]:
    """The ASGI app in-process, sharing the test's rolled-back session."""
    app = create_app(app_settings)
    app.state.engine = engine
    app.state.session_factory = sessionmaker(bind=db.get_bind())
    wrote: list[str] = []

    def _session(request: Request) -> Iterator[Session]:
        with writes_refused(db, f"{request.method} {request.url.path}", wrote, active=reads_only(request)):
            yield db
            db.flush()

    app.dependency_overrides[get_session] = _session
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    assert not wrote, f"requests that only read (GET/HEAD, or marked auth.deps.reads) wrote: {wrote}; move the " \
                      "write out of the request transaction or mark the route with auth.deps.writes"


@contextmanager
def writes_refused(session: Session, label: str, wrote: list[str], *, active: bool) -> Iterator[None]:
    """Record every INSERT, UPDATE or DELETE run on ``session``'s connection while ``active`` (the shared test
    session stands in for the read-only request transaction; reads never write)."""
    if not active:
        yield
        return
    session.flush()  # the test's own pending changes are not the request's
    connection = session.connection()

    def check(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE"):
            wrote.append(f"{label}: {statement.strip()[:120]}")

    event.listen(connection, "before_cursor_execute", check)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", check)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def new_org(self, **kwargs: Any) -> OrgHandle:
        with unit_of_work(self.factory) as session:
            return make_org(session, **kwargs)

    def read(self, fn: Callable[[Session], Any]) -> Any:
        with unit_of_work(self.factory) as session:
            return fn(session)


@contextmanager
def running_server(engine: Engine, **settings: Any) -> Iterator[LiveServer]:
    """A real uvicorn server on loopback over ``engine``, with uvicorn's options of ``momentos serve`` (forwarded
    headers left to the app) and test settings (``settings`` override them). Organizations made while it runs
    are deleted after it."""
    port = free_port()
    app = create_app(test_settings(**{"public_url": f"http://127.0.0.1:{port}", **settings}))
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    factory = app.state.session_factory
    with unit_of_work(factory) as session:
        first_new_org = int(session.scalar(select(func.max(Organization.id))) or 0) + 1
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", engine, factory)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        # committed data must not leak into later tests (e.g. pending notifications a worker test would claim)
        with unit_of_work(factory) as session:
            session.execute(delete(Organization).where(Organization.id >= first_new_org))


@pytest.fixture
def live_server(engine: Engine) -> Iterator[LiveServer]:
    """A real uvicorn server on loopback over the run's migrated database (data is committed; tests use
    their own organizations, so they do not see each other)."""
    with running_server(engine) as server:
        yield server
