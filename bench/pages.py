"""Server-side answer times of the dashboard pages over a large event log in PostgreSQL (or SQLite).

Stores N events (default 1,000,000) over C customers (default 100,000) of one service whose 16 activities lead to
the 8 contact moments (half started by the company, so contacts and budgets exist), through the ingestion service.
Then the app runs in-process (no network) signed in as the organization's owner, and each page — the overview, the
journey map (the flagship; goal p95 < 300 ms), a drill-down cell and a customer view — is requested ``--repeat``
times uncached (view cache emptied before each request) and cached (no event arriving in between).
Prints p50/p95 per page and mode; writes bench/results/pages.json.

    .venv/bin/python bench/pages.py [--events N] [--customers C] [--repeat R] [--backend postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from momentos.analytics import incremental
from momentos.app import create_app
from momentos.audit.service import Actor
from momentos.bootstrap import reactions
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.catalog.service import create_service, create_touchpoint
from momentos.config import Settings
from momentos.dashboard.cache import ViewCache
from momentos.db import make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.orgs.schemas import OrganizationCreate
from momentos.orgs.service import create_organization
from stores import drop_store, fresh_store  # bench/ is on the path when a script runs

REACTIONS = reactions()
"""The reactions to stored events, as the app wires them (``momentos.bootstrap``)."""

PG_SCHEMA = f"momentos_bench_pages_{os.getpid()}"
RESULTS = Path(__file__).parent / "results"
ACTIVITIES = [f"a{i:02d}" for i in range(20)]
CHUNK = 20_000
MEDIUM = Assessment(presence="full", participation="limited", duration="long", people="face_to_face", facility=True)
GOAL_MAP_P95_MS = 300.0


def new_org(engine: Engine) -> tuple[int, str]:
    with unit_of_work(make_session_factory(engine)) as session:
        org, keys = create_organization(session, OrganizationCreate(slug="bench", name="Bench"))
        create_service(session, org.id, ServiceCreate(key="svc", name_es="Svc", name_en="Svc", assessment=MEDIUM),
            actor=Actor.cli("bench"))
        for i, moment in enumerate(CANONICAL_KEYS):
            for j, initiator in enumerate(("customer", "company")):
                create_touchpoint(session, org.id, "svc", TouchpointCreate(
                    moment=moment, channel=("web", "email")[j], activities=[ACTIVITIES[2 * i + j]],
                    initiator=initiator), actor=Actor.cli("bench"))
        return org.id, keys.admin_key


def fill(engine: Engine, org_id: int, events: int, customers: int, seed: int = 11) -> float:
    """Each customer's case walks forward through the activities, with repeats; timestamps over a year."""
    rng = np.random.default_rng(seed)
    case_of = np.sort(rng.integers(0, customers, events))
    first = np.r_[True, case_of[1:] != case_of[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(events), 0))
    cum = np.cumsum(rng.integers(0, 3, events))
    position = np.minimum(cum - cum[start] + rng.integers(0, 4, events)[start], len(ACTIVITIES) - 1)
    gaps = np.cumsum(rng.exponential(3600, events).astype("int64") + 1)
    seconds = gaps - gaps[start] + rng.integers(0, 365 * 86400, customers)[case_of]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    factory = make_session_factory(engine)
    began = time.perf_counter()
    for lo in range(0, events, CHUNK):
        batch = [EventIn(message_id=f"p{i}", customer=f"c{case_of[i]}", activity=ACTIVITIES[position[i]],
                         timestamp=t0 + timedelta(seconds=int(seconds[i])), service="svc", process=f"c{case_of[i]}")
                 for i in range(lo, min(lo + CHUNK, events))]
        with unit_of_work(factory) as session:
            ingest(session, org_id, Batch(events=batch), source="bench", reactions=REACTIONS)
    return time.perf_counter() - began


def sign_in(client: TestClient, key: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"key": key, "csrf": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return round(statistics.median(times), 1), round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)


def measure(client: TestClient, app: FastAPI, path: str, repeat: int) -> dict[str, float]:
    """Uncached: the view cache emptied before every request (what the first viewer after new events waits);
    cached: repeated requests while no event arrives."""
    modes: dict[str, list[float]] = {"uncached": [], "cached": []}
    for mode, times in modes.items():
        for _ in range(repeat):
            if mode == "uncached":
                app.state.view_cache = ViewCache()
            began = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert r.status_code == 200, (path, r.status_code)
    (u50, u95), (c50, c95) = _percentiles(modes["uncached"]), _percentiles(modes["cached"])
    return {"uncached_p50_ms": u50, "uncached_p95_ms": u95, "p50_ms": c50, "p95_ms": c95, "repeat": repeat}


def run(backend: str, events: int, customers: int, repeat: int, workdir: Path) -> dict[str, Any]:
    engine, url = fresh_store(backend, workdir / "pages.db", PG_SCHEMA)
    try:
        org_id, admin_key = new_org(engine)
        ingest_s = fill(engine, org_id, events, customers)
        started = time.perf_counter()  # what `momentos worker` does after ingestion: the pages then read aggregates
        with unit_of_work(make_session_factory(engine)) as session:
            incremental.catch_up(session, org_id)
        aggregates_s = time.perf_counter() - started
        app = create_app(Settings(environment="test", database_url=url))
        pages = {"overview": "/overview", "journey map": "/services/svc/map",
                 "journey map (8 moments)": "/services/svc/map?view=canonical",
                 "drill-down (reached)": "/services/svc/map/cell?moment=purchase&kind=reached",
                 "customer view": "/customers/c1"}
        with TestClient(app) as client:
            sign_in(client, admin_key)
            figures = {name: measure(client, app, path, repeat) for name, path in pages.items()}
        return {"backend": backend, "events": events, "customers": customers, "ingest_s": round(ingest_s, 1),
                "aggregates_build_s": round(aggregates_s, 1), "pages": figures}
    finally:
        engine.dispose()
        drop_store(backend, PG_SCHEMA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: events / 10")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.backend, args.events, args.customers or max(1, args.events // 10), args.repeat, Path(tmp))
    print(f"{result['backend']}: {result['events']:,} events, {result['customers']:,} customers "
          f"(stored in {result['ingest_s']} s; aggregates built by a worker round in {result['aggregates_build_s']} s, "
          f"not timed as a page)")
    print(f"{'page':<26}{'uncached p50':>14}{'uncached p95':>14}{'cached p50':>12}{'cached p95':>12}  (ms)")
    for name, f in result["pages"].items():
        print(f"{name:<26}{f['uncached_p50_ms']:>14}{f['uncached_p95_ms']:>14}{f['p50_ms']:>12}{f['p95_ms']:>12}")
    for mode in ("uncached_p95_ms", "p95_ms"):
        p95 = result["pages"]["journey map"][mode]
        verdict = "met" if p95 < GOAL_MAP_P95_MS else "NOT met"
        print(f"journey map {mode.replace('_ms', '')} {p95} ms: goal < {GOAL_MAP_P95_MS:.0f} ms {verdict}")
    RESULTS.mkdir(exist_ok=True)
    report = {**result, "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    (RESULTS / "pages.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
