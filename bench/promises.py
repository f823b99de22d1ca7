"""The promise clock on PostgreSQL: due instances moved forward per minute, beside the raw UPDATE rate of the same
rows measured in the same run.

Seeds N instances (default 100,000) that are all past their due time (one per second over N seconds, so due dates
and their texts differ), then:

- ``clock-1``: one process calls ``momentos.promises.clock.run_job`` until nothing is due (batches of 1000 claimed
  with FOR UPDATE SKIP LOCKED; each instance → one transition row and one recovery notice in the outbox);
- ``clock-2``: the same rows reset to due, two worker processes at once (``run_job`` in a loop each), timed from
  the first one's start to the last one's end (interpreter start-up excluded);
- ``raw-update``: the same rows reset, then only ``UPDATE promise_instances SET state, closed_at, next_check_at,
  seq, updated_at WHERE id = ANY(batch)`` in the same batch size, one transaction per batch — what touching the
  rows costs without reading, evaluating, recording or notifying.

Goal: ≥ 100,000 instances per minute for the clock on 2 cores. Writes bench/results/promises.json.

    .venv/bin/python bench/promises.py [--instances N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from momentos.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from momentos.migrate import upgrade  # noqa: E402
from momentos.promises import clock  # noqa: E402

SCHEMA = "momentos_bench_promises"
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _url() -> str:
    base = os.environ.get("MOMENTOS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}"


def _fresh_engine() -> Engine:
    admin = make_engine(_url().split("?")[0])
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    admin.dispose()
    engine = make_engine(_url())
    upgrade(engine)
    return engine


def _seed(engine: Engine, n: int) -> None:
    from tests.conftest import make_org
    from tests.factories import make_service
    from tests.promises.helpers import define

    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        service = make_service(session, org.id)
        definition = define(session, org.id, moment="delivery")
        params = {"org": org.id, "service": service.id, "definition": definition.id, "n": n, "now": NOW}
        session.execute(text(
            "INSERT INTO customers (org_id, external_id, language, preferred_channels, traits, account_traits, "
            "do_not_contact, first_seen_at, created_at, updated_at) SELECT :org, 'c' || g, 'es', '[]', '{}', '{}', "
            "false, :now, :now, :now FROM generate_series(1, :n) AS g"), params)
        session.execute(text(
            "INSERT INTO processes (org_id, service_id, customer_id, reference, cycle, moment_seq, started_at, "
            "created_at) SELECT :org, :service, c.id, '', 1, 0, :now, :now FROM customers c WHERE c.org_id = :org"),
            params)
        session.execute(text(
            "INSERT INTO promise_instances (org_id, definition_id, process_id, customer_id, service_id, state, "
            "started_at, due_at, at_risk_at, paused, next_check_at, seq, updated_at) "
            "SELECT :org, :definition, p.id, p.customer_id, :service, 'pending', s - interval '48 hours', s, "
            "s - interval '12 hours', false, s - interval '12 hours', 1, :now FROM processes p, "
            "LATERAL (SELECT :now - interval '2 hours' - p.id * interval '1 second' AS s) AS due "
            "WHERE p.org_id = :org"), params)


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE promise_transitions, notifications, contact_decisions"))
        conn.execute(text("UPDATE promise_instances SET state = 'pending', closed_at = NULL, seq = 1, "
                          "next_check_at = at_risk_at"))
        conn.execute(text("ANALYZE promise_instances"))


def run_clock(url: str) -> tuple[int, float, float]:
    """Run the clock until nothing is due: (instances handled, wall-clock start, end) — process start-up excluded."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with engine.connect():
        pass  # connected before the clock starts
    done, start = 0, time.time()
    while True:
        handled = clock.run_job(factory, NOW)
        if not handled:
            break
        done += handled
    end = time.time()
    engine.dispose()
    return done, start, end


def bench_clock(engine: Engine, n: int, workers: int) -> dict[str, Any]:
    _reset(engine)
    if workers == 1:
        runs = [run_clock(_url())]
    else:
        procs = [subprocess.Popen([sys.executable, __file__, "--child"], stdout=subprocess.PIPE)
                 for _ in range(workers)]
        runs = [tuple(json.loads(p.communicate()[0].decode())) for p in procs]
    handled = sum(r[0] for r in runs)
    seconds = max(r[2] for r in runs) - min(r[1] for r in runs)
    with engine.connect() as conn:
        transitions = conn.execute(text("SELECT count(*) FROM promise_transitions")).scalar_one()
        notices = conn.execute(text("SELECT count(*) FROM notifications")).scalar_one()
        states = dict(conn.execute(text("SELECT state, count(*) FROM promise_instances GROUP BY state")).all())
    assert handled == n and transitions == n and notices == n and states == {"broken": n}, (handled, transitions,
                                                                                            notices, states)
    return {"workers": workers, "instances": n, "seconds": round(seconds, 2), "per_minute": round(n / seconds * 60),
            "transitions": transitions, "notices": notices}


def bench_raw(engine: Engine, n: int) -> dict[str, Any]:
    _reset(engine)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM promise_instances ORDER BY next_check_at, id"))]
    start = time.perf_counter()
    for i in range(0, len(ids), clock.BATCH_SIZE):
        with engine.begin() as conn:
            conn.execute(text("UPDATE promise_instances SET state = 'broken', closed_at = due_at, "
                              "next_check_at = NULL, seq = seq + 1, updated_at = :now WHERE id = ANY(:ids)"),
                         {"now": NOW, "ids": ids[i:i + clock.BATCH_SIZE]})
    seconds = time.perf_counter() - start
    return {"instances": n, "seconds": round(seconds, 2), "per_minute": round(n / seconds * 60)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_clock(_url())))
        return
    engine = _fresh_engine()
    try:
        t = time.perf_counter()
        _seed(engine, args.instances)
        print(f"seeded {args.instances:,} due instances in {time.perf_counter() - t:.1f}s")
        results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                               "load": os.getloadavg()}, "runs": {}}
        for name, run in (("clock-1", lambda: bench_clock(engine, args.instances, 1)),
                          ("raw-update", lambda: bench_raw(engine, args.instances)),
                          ("clock-2", lambda: bench_clock(engine, args.instances, 2))):
            r = results["runs"][name] = run()
            print(f"{name:>11}: {r['instances']:,} instances in {r['seconds']:.2f}s = {r['per_minute']:,}/min")
        ratio = results["runs"]["clock-1"]["per_minute"] / results["runs"]["raw-update"]["per_minute"]
        results["clock_vs_raw"] = round(ratio, 3)
        print(f"clock (1 worker) / raw UPDATE of the same rows: {ratio:.2f}")
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        engine.dispose()
    out = ROOT / "bench" / "results" / "promises.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
