"""Ingestion throughput: the service path and ``/v1/batch`` over HTTP, each beside the raw ceiling of the same run.

For SQLite and PostgreSQL, on a fresh database each time:

- **service**: ``events.service.ingest`` in chunks of 1000 and of 100, one transaction per chunk;
- **http**: a real uvicorn on loopback receiving Segment ``/v1/batch`` requests of 100 messages (httpx, keep-alive,
  ``--senders`` concurrent clients);
- **ceiling**: the rows the service path stored, inserted again into an identical copy of the ``events`` table
  (same columns, constraints, indexes and reference triggers) with ``executemany`` on SQLite and ``COPY`` on
  PostgreSQL, in the same chunk sizes, one transaction per chunk.

Floor: the service path reaches 25% of the ceiling; goal: 50%. Prints a table; writes bench/results/ingest.json.

    .venv/bin/python bench/ingest.py [--quick | --events N] [--backends sqlite,postgresql] [--no-http]
    .venv/bin/python bench/ingest.py --quick --profile    # cProfile of the service path instead of timings
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import platform
import pstats
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy import JSON, Engine, inspect, text

from momentos.audit.service import Actor
from momentos.bootstrap import reactions
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.catalog.service import create_service, create_touchpoint
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn, IngestResult
from momentos.events.service import ingest
from momentos.migrate import upgrade
from momentos.orgs.schemas import OrganizationCreate
from momentos.orgs.service import create_organization
from stores import copy_events_table  # bench/ is on the path when a script runs

REACTIONS = reactions()
"""The reactions to stored events, as the app wires them (``momentos.bootstrap``)."""

PG_URL = os.environ.get("MOMENTOS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "momentos_bench"
RESULTS = Path(__file__).parent / "results"
FLOOR, GOAL = 0.25, 0.50
HTTP_BATCH = 100
ATTEMPTS = 5
SERVICE_CHUNKS = (1000, 100)
# HTTP route: Segment's /v1/batch (the target); "native" posts the same events to /api/v1/events.
ROUTES = {"segment": "/v1/batch", "native": "/api/v1/events"}

ACTIVITIES: dict[str, tuple[str, ...]] = {
    "awareness": ("ad_clicked", "newsletter_opened"), "first_contact": ("signed_up",),
    "consideration": ("product_viewed", "cart_viewed"), "purchase": ("order_placed", "payment_confirmed"),
    "delivery": ("order_shipped", "order_delivered"), "use": ("product_used", "feature_used"),
    "support": ("ticket_opened", "ticket_closed"), "loyalty": ("subscription_renewed", "referral_sent"),
}
CHANNELS = {"awareness": "social", "first_contact": "web", "consideration": "web", "purchase": "web",
            "delivery": "email", "use": "app", "support": "chat", "loyalty": "email"}
MOMENTS = tuple(ACTIVITIES)


# ---------------------------------------------------------------------------------------------- the workload

@dataclass
class Workload:
    events: list[EventIn]
    customers: int
    unique: int
    duplicates: int
    out_of_order: int


def _customer_events(rng: random.Random, customer: int, length: int, start: datetime) -> list[EventIn]:
    """One customer's walk through the 8 moments, in order, ``length`` events long."""
    events: list[EventIn] = []
    ts = start + timedelta(days=rng.uniform(0, 30))
    for i in range(length):
        moment = MOMENTS[min(len(MOMENTS) - 1, i * len(MOMENTS) // length)]
        ts += timedelta(minutes=rng.uniform(1, 2880))
        props: dict[str, Any] = {"sku": f"SKU-{rng.randrange(500):03d}"}
        if moment == "purchase":
            props["amount"] = round(rng.uniform(5, 300), 2)
        events.append(EventIn(message_id=f"b-{customer}-{i}", customer=f"c{customer:06d}", timestamp=ts,
                              activity=rng.choice(ACTIVITIES[moment]), properties=props))
    return events


def make_workload(n: int, seed: int = 1) -> Workload:
    """``n`` events of ~n/10 customers (~10 each) in arrival order: ~1% arrive late, ~1% are resent."""
    rng = random.Random(seed)
    duplicates = n // 100
    unique = n - duplicates
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fresh: list[EventIn] = []
    customer = 0
    while len(fresh) < unique:
        customer += 1
        fresh.extend(_customer_events(rng, customer, min(rng.randint(6, 14), unique - len(fresh)), start))
    fresh.sort(key=lambda e: e.timestamp)
    keyed = [(float(i), e) for i, e in enumerate(fresh)]
    late = rng.sample(range(unique), unique // 100)
    for i in late:  # arrives after later events of the same customer: the process history is rebuilt
        keyed[i] = (i + rng.randint(100, 5000) + 0.5, keyed[i][1])
    for i in rng.sample(range(unique), duplicates):  # a client resends: same message id, later
        keyed.append((keyed[i][0] + rng.randint(1, 3000) + 0.25, keyed[i][1]))
    keyed.sort(key=lambda k: k[0])
    return Workload([e for _, e in keyed], customer, unique, duplicates, len(late))


def segment_body(events: Sequence[EventIn]) -> bytes:
    return json.dumps({"batch": [
        {"type": "track", "messageId": e.message_id, "userId": e.customer, "event": e.activity,
         "timestamp": e.timestamp.isoformat(), "properties": e.properties} for e in events]}).encode()


def native_body(events: Sequence[EventIn]) -> bytes:
    return json.dumps({"events": [e.model_dump(mode="json", exclude_none=True) for e in events]}).encode()


# ------------------------------------------------------------------------------------------------ databases

class Target:
    """Hands out fresh, migrated databases of one backend."""

    name = ""

    def fresh(self) -> tuple[Engine, str]:
        raise NotImplementedError

    def close(self) -> None:
        """Remove whatever the benchmark created."""


class SqliteTarget(Target):
    name = "sqlite"

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="momentos-bench-")
        self._n = 0

    def fresh(self) -> tuple[Engine, str]:
        self._n += 1
        url = f"sqlite:///{self._dir.name}/bench-{self._n}.db"
        engine = make_engine(url)
        upgrade(engine)
        return engine, url

    def close(self) -> None:
        self._dir.cleanup()


class PostgresTarget(Target):
    name = "postgresql"

    def _admin(self, sql: str) -> None:
        admin = make_engine(PG_URL)
        try:
            with admin.begin() as conn:
                conn.execute(text(sql))
        finally:
            admin.dispose()

    def fresh(self) -> tuple[Engine, str]:
        self._admin(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE; CREATE SCHEMA "{PG_SCHEMA}"')
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options=-csearch_path%3D{PG_SCHEMA}"
        engine = make_engine(url)
        upgrade(engine)
        return engine, url

    def close(self) -> None:
        self._admin(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE')


def set_up_org(engine: Engine) -> tuple[int, str]:
    """An organization with one service whose touchpoints map every activity onto its moment."""
    with unit_of_work(make_session_factory(engine)) as session:
        org, keys = create_organization(session, OrganizationCreate(slug="bench", name="Bench"))
        assessment = Assessment(presence="none", participation="none", duration="short", people="none")
        create_service(session, org.id, ServiceCreate(key="shop", name_es="Tienda", name_en="Shop",
                                                      assessment=assessment), actor=Actor.cli("bench"))
        for moment, activities in ACTIVITIES.items():
            create_touchpoint(session, org.id, "shop", TouchpointCreate(
                moment=moment, channel=CHANNELS[moment], activities=list(activities),
                initiator="company" if moment == "delivery" else "customer"), actor=Actor.cli("bench"))
        return org.id, keys.write_key


def pg_settings() -> dict[str, str]:
    """The server settings that move the figures most."""
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            return {name: str(conn.execute(text(f"SHOW {name}")).scalar_one())
                    for name in ("server_version", "autovacuum", "fsync", "synchronous_commit", "shared_buffers")}
    finally:
        engine.dispose()


def count_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


# ------------------------------------------------------------------------------------------------- measures

@dataclass
class Measure:
    backend: str
    path: str
    chunk: int
    events: int
    seconds: float
    stored: int
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def run_service(engine: Engine, org_id: int, events: list[EventIn], chunk: int) -> tuple[float, IngestResult]:
    factory = make_session_factory(engine)
    total = IngestResult()
    started = time.perf_counter()
    for start in range(0, len(events), chunk):
        with unit_of_work(factory) as session:
            total.add(ingest(session, org_id, Batch(events=events[start:start + chunk]), source="bench",
                             reactions=REACTIONS))
    return time.perf_counter() - started, total


def event_columns(engine: Engine) -> list[tuple[str, bool]]:
    """The stored columns of ``events`` as migrated (all but the id), each with whether it holds JSON."""
    return [(c["name"], isinstance(c["type"], JSON)) for c in inspect(engine).get_columns("events")
            if c["name"] != "id"]


@contextmanager
def raw_connection(engine: Engine) -> Iterator[Any]:
    """The driver's own connection (sqlite3 / psycopg), with the engine's connect-time settings applied."""
    pooled = engine.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        pooled.close()


def _sqlite_ceiling(engine: Engine, chunk: int) -> tuple[float, int]:
    names = [name for name, _ in event_columns(engine)]
    with raw_connection(engine) as conn:
        copy_events_table(conn, False, "events_ceiling")
        rows = conn.execute(f"SELECT {', '.join(names)} FROM events ORDER BY id").fetchall()
        insert = f"INSERT INTO events_ceiling ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        started = time.perf_counter()
        for start in range(0, len(rows), chunk):
            conn.execute("BEGIN")
            conn.executemany(insert, rows[start:start + chunk])
            conn.execute("COMMIT")
        return time.perf_counter() - started, len(rows)


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    raw = str(value)
    return raw.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _pg_ceiling(engine: Engine, chunk: int) -> tuple[float, int]:
    columns = event_columns(engine)
    names = ", ".join(name for name, _ in columns)
    with raw_connection(engine) as conn:
        copy_events_table(conn, True, "events_ceiling")
        conn.commit()
        selected = ", ".join(f"{name}::text" if is_json else name for name, is_json in columns)
        rows = conn.execute(f"SELECT {selected} FROM events ORDER BY id").fetchall()
        conn.commit()
        payloads = ["".join("\t".join(_copy_field(v) for v in row) + "\n" for row in rows[s:s + chunk]).encode()
                    for s in range(0, len(rows), chunk)]
        started = time.perf_counter()
        for payload in payloads:
            with conn.cursor() as cur, cur.copy(f"COPY events_ceiling ({names}) FROM STDIN") as copy:
                copy.write(payload)
            conn.commit()
        return time.perf_counter() - started, len(rows)


def run_ceiling(backend: str, engine: Engine, chunk: int) -> Measure:
    seconds, rows = (_pg_ceiling if backend == "postgresql" else _sqlite_ceiling)(engine, chunk)
    method = "COPY" if backend == "postgresql" else "executemany"
    return Measure(backend, "ceiling", chunk, rows, seconds, rows, {"method": method})


# ------------------------------------------------------------------------------------------------------ HTTP

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_server(database_url: str) -> Iterator[str]:
    """``momentos.app:create_app`` under a real uvicorn in its own process, on loopback."""
    port = free_port()
    env = {**os.environ, "MOMENTOS_DATABASE_URL": database_url, "MOMENTOS_INGEST__RATE_PER_SECOND": "1e9",
           "MOMENTOS_INGEST__BURST": "1000000000", "MOMENTOS_ENVIRONMENT": "development"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "momentos.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class SenderStats:
    requests: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    failure: str | None = None


def _sender(base: str, path: str, write_key: str, bodies: list[bytes], stats: SenderStats) -> None:
    try:
        _send_all(base, path, write_key, bodies, stats)
    except Exception as exc:  # reported by the main thread
        stats.failure = f"{type(exc).__name__}: {exc}"


def _send_all(base: str, path: str, write_key: str, bodies: list[bytes], stats: SenderStats) -> None:
    """Posts bodies in order with keep-alive; like Segment clients, resends on 429/5xx/transport errors."""
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for body in bodies:
            for attempt in range(ATTEMPTS):
                try:
                    status = client.post(path, content=body).status_code
                except httpx.TransportError as exc:
                    status, reason = 0, type(exc).__name__
                else:
                    reason = str(status)
                stats.requests += 1
                if status == 200:
                    break
                stats.errors[reason] = stats.errors.get(reason, 0) + 1
                if status and status < 500 and status != 429:
                    raise RuntimeError(f"{path} answered {status}")
                if attempt == ATTEMPTS - 1:
                    raise RuntimeError(f"{path} failed {ATTEMPTS} times: {stats.errors}")
                stats.retries += 1
                time.sleep(min(2.0, 0.05 * 2 ** attempt))


def run_http(backend: str, database_url: str, write_key: str, events: list[EventIn], senders: int,
             route: str) -> Measure:
    make_body = segment_body if route == "segment" else native_body
    bodies = [make_body(events[s:s + HTTP_BATCH]) for s in range(0, len(events), HTTP_BATCH)]
    stats = [SenderStats() for _ in range(senders)]
    with uvicorn_server(database_url) as base:
        threads = [threading.Thread(target=_sender, args=(base, ROUTES[route], write_key, bodies[i::senders],
                                                            stats[i])) for i in range(senders)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    failures = [s.failure for s in stats if s.failure]
    check(not failures, f"HTTP senders failed: {failures}")
    errors: dict[str, int] = {}
    for s in stats:
        for reason, n in s.errors.items():
            errors[reason] = errors.get(reason, 0) + n
    return Measure(backend, "http", HTTP_BATCH, len(events), seconds, 0,
                   {"route": ROUTES[route], "senders": senders, "requests": sum(s.requests for s in stats),
                    "retries": sum(s.retries for s in stats), "errors": errors})


# ------------------------------------------------------------------------------------------------- the runs

def measure_service(target: Target, work: Workload, chunk: int) -> list[Measure]:
    engine, _ = target.fresh()
    try:
        org_id, _key = set_up_org(engine)
        seconds, result = run_service(engine, org_id, work.events, chunk)
        stored = count_events(engine)
        check(stored == work.unique and result.duplicates == work.duplicates,
              f"service path stored {stored} (expected {work.unique}), duplicates {result.duplicates}")
        service = Measure(target.name, "service", chunk, len(work.events), seconds, stored,
                          {"accepted": result.accepted, "duplicates": result.duplicates})
        return [run_ceiling(target.name, engine, chunk), service]
    finally:
        engine.dispose()


def measure_http(target: Target, work: Workload, senders: int, route: str) -> Measure:
    engine, url = target.fresh()
    try:
        _org_id, key = set_up_org(engine)
        m = run_http(target.name, url, key, work.events, senders, route)
        m.stored = count_events(engine)
        check(m.stored == work.unique, f"HTTP stored {m.stored} events, expected {work.unique}")
        return m
    finally:
        engine.dispose()


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"benchmark check failed: {message}")


def ratio(m: Measure, measures: list[Measure]) -> float | None:
    if m.path == "ceiling":
        return None
    ceiling = next((c for c in measures if c.backend == m.backend and c.path == "ceiling" and c.chunk == m.chunk),
                   None)
    return m.rate / ceiling.rate if ceiling else None


def report(measures: list[Measure], work: Workload, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n{len(work.events):,} events ({work.customers:,} customers, {work.duplicates:,} resent, "
          f"{work.out_of_order:,} late)")
    print(f"{'backend':<11} {'path':<9} {'chunk':>6} {'events/s':>10} {'seconds':>8} {'vs ceiling':>11}  detail")
    rows = []
    for m in measures:
        r = ratio(m, measures)
        mark = "" if r is None else (" ok" if r >= GOAL else " floor" if r >= FLOOR else " LOW")
        shown = "" if r is None else f"{r:6.0%}{mark}"
        print(f"{m.backend:<11} {m.path:<9} {m.chunk:>6} {m.rate:>10,.0f} {m.seconds:>8.1f} {shown:>11}  "
              f"{json.dumps(m.detail)}")
        rows.append({**asdict(m), "events_per_s": round(m.rate, 1), "ratio_to_ceiling": r})
    return {"generated_at": datetime.now(UTC).isoformat(), "events": len(work.events), "customers": work.customers,
            "duplicates": work.duplicates, "out_of_order": work.out_of_order, "floor": FLOOR, "goal": GOAL,
            "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
            "machine": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "senders": args.senders, "route": ROUTES[args.route],
            "postgresql_settings": pg_settings() if "postgresql" in args.backends else None, "results": rows}


def print_profile(stats: pstats.Stats, title: str) -> None:
    print(f"\n=== {title}")
    for order in ("tottime", "cumulative"):
        stats.strip_dirs().sort_stats(order).print_stats(25)


def profile(targets: list[Target], work: Workload, chunk: int) -> None:
    """cProfile the service path (the uvicorn server is not profiled: cProfile sees only its main thread)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    for target in targets:
        engine, _ = target.fresh()
        try:
            org_id, _key = set_up_org(engine)
            profiler = cProfile.Profile()
            profiler.enable()
            seconds, _ = run_service(engine, org_id, work.events, chunk)
            profiler.disable()
        finally:
            engine.dispose()
        out = RESULTS / f"ingest-{target.name}.prof"
        profiler.dump_stats(out)
        print_profile(pstats.Stats(profiler), f"{target.name} service chunk {chunk}: "
                      f"{len(work.events) / seconds:,.0f} events/s under cProfile; saved {out}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--quick", action="store_true", help="20k events")
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--no-http", dest="http", action="store_false")
    p.add_argument("--senders", type=int, default=2, help="concurrent HTTP clients")
    p.add_argument("--route", choices=sorted(ROUTES), default="segment", help="HTTP door (default /v1/batch)")
    p.add_argument("--chunks", default=",".join(map(str, SERVICE_CHUNKS)), help="service path chunk sizes")
    p.add_argument("--profile", action="store_true", help="cProfile the service path (first chunk size)")
    return p.parse_args(argv)


TARGETS: dict[str, Callable[[], Target]] = {"sqlite": SqliteTarget, "postgresql": PostgresTarget}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    work = make_workload(20_000 if args.quick else args.events)
    targets = [TARGETS[name.strip()]() for name in args.backends.split(",")]
    chunks = [int(c) for c in args.chunks.split(",")]
    try:
        if args.profile:
            profile(targets, work, chunks[0])
            return
        measures: list[Measure] = []
        for target in targets:
            for chunk in chunks:
                measures.extend(measure_service(target, work, chunk))
                print(f"{target.name}: service chunk {chunk}: {measures[-1].rate:,.0f} events/s", flush=True)
            if args.http:
                measures.append(measure_http(target, work, args.senders, args.route))
                print(f"{target.name}: http: {measures[-1].rate:,.0f} events/s", flush=True)
        summary = report(measures, work, args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "ingest.json").write_text(json.dumps(summary, indent=2))
        print(f"\nwritten {RESULTS / 'ingest.json'}")
    finally:
        for target in targets:
            target.close()


if __name__ == "__main__":
    main()
