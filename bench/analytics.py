"""Analytics answer times: Momentos (log stored in SQLite / PostgreSQL) beside pm4py on an in-memory DataFrame.

Two logs, each in the same run for both tools:

- **generated**: N events (default 1,000,000) over C customers (default 100,000) and 20 activities, 16 of which
  lead to the 8 contact moments (so stays, funnel and time in moment exist); stored through the ingestion service;
- **BPIC 2012** (``../shared/data/logs/bpic2012.xes.gz``): imported with ``momentos import``'s service (a first
  import: the bulk road), timed beside pm4py's ``read_xes`` of the same file, each in its own process so that its
  peak RSS can be reported. pm4py's reference is its default reader (``variant="iterparse"``, what ``read_xes``
  uses without a Rust backend); pm4py's ``read_xes`` through r4pm is reported too. ``--streamed`` also times the
  streaming road (``--no-bulk``). Before that, ``--import-rounds`` (default 3) interleaved rounds of pm4py's reader
  and the import into a fresh store of each backend give the import's ratio as a median of side-by-side runs (this
  virtual machine's speed drifts by tens of percent between minutes).

After loading, the incremental aggregates are built once (``aggregates_build_s``, not part of the answers). Momentos's
times are then end to end, as the API answers: see that nothing is pending to fold, read the aggregates. ``polars`` is
the full path's computation alone on an already loaded frame; pm4py computes from a pandas DataFrame already in
memory. Ratio = pm4py / Momentos (≥ 1 means Momentos is no slower). pm4py has no moment funnel or time in moment:
those rows compare with the in-memory Polars computation instead (``vs_polars`` ratios).
Prints a table; writes bench/results/analytics.json.

    .venv/bin/python bench/analytics.py [--small] [--events N] [--customers C] [--backends sqlite,postgresql]
                                        [--no-bpic] [--no-generated] [--streamed] [--import-rounds N]

``--small``: 100,000 events / 10,000 customers, no BPIC 2012 (a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from sqlalchemy import Engine, delete

from momentos.analytics import incremental, indicators, mining, views
from momentos.analytics import service as analytics
from momentos.analytics.log import LogFilter, load_log
from momentos.analytics.schemas import AnalyticsQuery
from momentos.audit.service import Actor
from momentos.bootstrap import reactions
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.catalog.service import create_service, create_touchpoint
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.imports.bulk import EVENT_COLUMNS
from momentos.models import Organization
from momentos.orgs.schemas import OrganizationCreate
from momentos.orgs.service import create_organization
from stores import copy_events_table, drop_store, fresh_store  # bench/ is on the path when a script runs

REACTIONS = reactions()
"""The reactions to stored events, as the app wires them (``momentos.bootstrap``)."""

PG_SCHEMA = "momentos_bench_analytics"
RESULTS = Path(__file__).parent / "results"
_BPIC_NAME = Path("shared") / "data" / "logs" / "bpic2012.xes.gz"
BPIC = Path(os.environ.get("MOMENTOS_BENCH_BPIC") or next(
    (p / _BPIC_NAME for p in Path(__file__).resolve().parents if (p / _BPIC_NAME).exists()), _BPIC_NAME))
ACTIVITIES = [f"a{i:02d}" for i in range(20)]
TOUCHPOINTS = {ACTIVITIES[i]: CANONICAL_KEYS[i // 2] for i in range(16)}
CHUNK = 5000
LOW = Assessment(presence="none", participation="none", duration="short", people="none")


def rss_mb() -> float:
    """Peak RSS of this process (VmHWM: unlike ru_maxrss, not inherited from the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


# ---------------------------------------------------------------- stores

def new_org(engine: Engine, touchpoints: dict[str, str], slug: str = "bench") -> int:
    with unit_of_work(make_session_factory(engine)) as session:
        org, _ = create_organization(session, OrganizationCreate(slug=slug, name="Bench"))
        create_service(session, org.id, ServiceCreate(key="svc", name_es="Svc", name_en="Svc", assessment=LOW),
            actor=Actor.cli("bench"))
        by_moment: dict[str, list[str]] = {}
        for activity, moment in touchpoints.items():
            by_moment.setdefault(moment, []).append(activity)
        for moment, activities in by_moment.items():
            create_touchpoint(session, org.id, "svc", TouchpointCreate(moment=moment, channel="web",
                                                                       activities=activities, initiator="customer"),
                                                                           actor=Actor.cli("bench"))
        return org.id


def delete_org(engine: Engine, org_id: int) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(delete(Organization).where(Organization.id == org_id))


# ---------------------------------------------------------------- generated log

def generate(events: int, customers: int, seed: int = 7) -> pd.DataFrame:
    """A pm4py-style DataFrame: each customer's case walks forward through the activities, with some repeats."""
    rng = np.random.default_rng(seed)
    case_of = np.sort(rng.integers(0, customers, events))
    steps = rng.integers(0, 3, events)  # 0: repeat, 1-2: move on
    first = np.r_[True, case_of[1:] != case_of[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(events), 0))
    cum = np.cumsum(steps)
    position = cum - cum[group_start] + rng.integers(0, 4, events)[group_start]
    activity = np.array(ACTIVITIES)[np.minimum(position, len(ACTIVITIES) - 1)]
    gaps = rng.exponential(3600, events).astype("int64") + 1
    gcum = np.cumsum(gaps)
    seconds = gcum - gcum[group_start] + rng.integers(0, 365 * 86400, customers)[case_of]
    ts = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame({"case:concept:name": [f"c{c}" for c in case_of], "concept:name": activity,
                         "time:timestamp": ts})


def store_generated(engine: Engine, org_id: int, df: pd.DataFrame) -> float:
    factory = make_session_factory(engine)
    cases, acts = df["case:concept:name"].tolist(), df["concept:name"].tolist()
    stamps = df["time:timestamp"].dt.to_pydatetime().tolist()
    started = time.perf_counter()
    for start in range(0, len(cases), CHUNK):
        batch = [EventIn(message_id=f"g{i}", customer=cases[i], timestamp=stamps[i], activity=acts[i], service="svc",
                         process=cases[i]) for i in range(start, min(start + CHUNK, len(cases)))]
        with unit_of_work(factory) as session:
            ingest(session, org_id, Batch(events=batch), source="bench", reactions=REACTIONS)
    return time.perf_counter() - started


# ---------------------------------------------------------------- measurements

def pm4py_times(df: pd.DataFrame, repeat: int) -> dict[str, float]:
    import pm4py

    return {"dfg": timed(lambda: pm4py.discover_dfg(df), repeat),
            "performance_dfg": timed(lambda: pm4py.discover_performance_dfg(df), repeat),
            "variants": timed(lambda: pm4py.get_variants(df), repeat)}


def build_aggregates(engine: Engine, org_id: int) -> float:
    started = time.perf_counter()
    with unit_of_work(make_session_factory(engine)) as session:
        incremental.catch_up(session, org_id)
    return time.perf_counter() - started


def momentos_times(engine: Engine, org_id: int, repeat: int) -> dict[str, float]:
    factory = make_session_factory(engine)
    out: dict[str, float] = {}
    q = AnalyticsQuery()
    moments = AnalyticsQuery(service="svc")
    calls: dict[str, Callable[[Any], Any]] = {
        "load_log": lambda s: load_log(s, org_id, LogFilter()),
        "full_path_dfg": lambda s: analytics.dfg(s, org_id, q, full=True),
        "dfg": lambda s: analytics.dfg(s, org_id, q),
        "dfg_by_moment": lambda s: analytics.dfg(s, org_id, AnalyticsQuery(service="svc", by="moment")),
        "performance_dfg": lambda s: analytics.performance_dfg(s, org_id, q),
        "variants": lambda s: analytics.variants(s, org_id, q),
        "funnel": lambda s: analytics.funnel(s, org_id, moments),
        "time_in_moment": lambda s: analytics.time_in_moment(s, org_id, moments),
    }
    for name, call in calls.items():
        with unit_of_work(factory) as session:
            out[name] = timed(lambda call=call, session=session: call(session), repeat)  # type: ignore[misc]
    return out


def agrees_with_pm4py(engine: Engine, org_id: int, df: pd.DataFrame) -> dict[str, bool]:
    """The aggregated DFG, performance DFG (to the millisecond), start/end and variants against pm4py's."""
    import pm4py

    q = AnalyticsQuery()
    with unit_of_work(make_session_factory(engine)) as s:
        dfg = {(e.source, e.target): e.frequency for e in analytics.dfg(s, org_id, q)}
        perf = {(e.source, e.target): e for e in analytics.performance_dfg(s, org_id, q)}
        ends = analytics.start_end(s, org_id, q)
        variants = {tuple(v.variant): v.count for v in analytics.variants(s, org_id, q)}
    ref_perf, _, _ = pm4py.discover_performance_dfg(df)
    return {
        "dfg": dfg == dict(pm4py.discover_dfg(df)[0]),
        "performance_dfg": set(perf) == set(ref_perf) and all(
            abs(perf[k].mean_s - v["mean"]) < 1e-3 and abs(perf[k].median_s - v["median"]) < 1e-3
            for k, v in ref_perf.items()),
        "start_end": (ends.start, ends.end) == (dict(pm4py.get_start_activities(df)),
                                                dict(pm4py.get_end_activities(df))),
        "variants": variants == {tuple(k): int(v) for k, v in pm4py.get_variants(df).items()},
    }


def polars_times(engine: Engine, org_id: int, repeat: int) -> dict[str, float]:
    with unit_of_work(make_session_factory(engine)) as session:
        log = load_log(session, org_id)
    space = list(CANONICAL_KEYS)

    def stays() -> pl.DataFrame:
        return views.moment_steps(log)

    return {"dfg": timed(lambda: mining.dfg(views.activity_steps(log)), repeat),
            "performance_dfg": timed(lambda: mining.dfg(views.activity_steps(log), performance=True), repeat),
            "variants": timed(lambda: mining.variants(views.activity_steps(log)), repeat),
            "funnel": timed(lambda: indicators.funnel(stays(), space, datetime.now(UTC)), repeat),
            "time_in_moment": timed(lambda: indicators.time_in_moment(stays(), space), repeat)}


def child(kind: str, args: list[str]) -> None:
    """Run one import in this (fresh) process and print its time and peak RSS as JSON."""
    started = time.perf_counter()
    if kind == "read-r4pm":  # r4pm's reader alone: the part of an import no store can shorten
        from r4pm import df as r4pm_df

        n = len(r4pm_df.import_xes(args[0])[0])
    elif kind.startswith("read-xes"):
        import pm4py

        warnings.simplefilter("ignore")
        # "iterparse" is pm4py's default reader when no Rust backend is installed (the 13.1 s reference);
        # with r4pm installed (a Momentos dependency) a plain read_xes() picks r4pm, measured as "read-xes-r4pm".
        variant = "r4pm" if kind == "read-xes-r4pm" else "iterparse"
        n = len(pm4py.read_xes(args[0], variant=variant, show_progress_bar=False))
    else:
        from momentos.imports.readers import ImportOptions
        from momentos.imports.service import import_file

        with unit_of_work(make_session_factory(make_engine(args[1]))) as session:
            report = import_file(session, int(args[2]), args[0], ImportOptions(service="svc", bulk=kind == "import"),
                                 reactions=REACTIONS)
            n = report.accepted
    print(json.dumps({"seconds": time.perf_counter() - started, "events": n, "peak_rss_mb": rss_mb()}))


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- report

def compare(name: str, stores: dict[str, dict[str, float]], pm4py_s: dict[str, float],
            polars_s: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for view in ("dfg", "performance_dfg", "variants", "funnel", "time_in_moment"):
        row: dict[str, Any] = {"log": name, "view": view, "pm4py_s": pm4py_s.get(view),
                               "polars_in_memory_s": polars_s.get(view)}
        for backend, times in stores.items():
            row[f"{backend}_s"] = times[view]
            row[f"{backend}_ratio"] = pm4py_s[view] / times[view] if view in pm4py_s else None
            row[f"{backend}_vs_polars"] = polars_s[view] / times[view] if view in polars_s else None
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = list(rows[0])
    print("  ".join(f"{k:>18}" for k in keys))
    for r in rows:
        print("  ".join(f"{(f'{v:.3f}' if isinstance(v, float) else str(v)):>18}" for v in r.values()))


def bench_log(name: str, df: pd.DataFrame, backends: list[str], workdir: Path, repeat: int,
              loader: Callable[[Engine, str, int], dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"events": len(df), "cases": int(df["case:concept:name"].nunique())}
    result["pm4py"] = pm4py_times(df, repeat)
    stores: dict[str, dict[str, float]] = {}
    for backend in backends:
        engine, url = fresh_store(backend, workdir / "analytics.db", PG_SCHEMA)
        org_id = new_org(engine, TOUCHPOINTS if name == "generated" else {})
        result[f"{backend}_store"] = loader(engine, url, org_id)
        result[f"{backend}_store"]["aggregates_build_s"] = build_aggregates(engine, org_id)
        print(f"{name} {backend}: stored, aggregates built in {result[f'{backend}_store']['aggregates_build_s']:.1f} s",
              flush=True)
        stores[backend] = momentos_times(engine, org_id, repeat)
        if name == "bpic2012":
            result[f"{backend}_agrees_with_pm4py"] = agrees_with_pm4py(engine, org_id, df)
            print(f"{name} {backend}: aggregated answers agree with pm4py: {result[f'{backend}_agrees_with_pm4py']}")
        result[f"{backend}_answers"] = stores[backend]
        result["polars"] = polars_times(engine, org_id, repeat)
        engine.dispose()
        drop_store(backend, PG_SCHEMA)
    result["table"] = compare(name, stores, result["pm4py"], result["polars"])
    print_table(result["table"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-bpic", action="store_true")
    parser.add_argument("--no-generated", action="store_true", help="only BPIC 2012")
    parser.add_argument("--streamed", action="store_true",
                        help="also time BPIC 2012's import through the streaming road (--no-bulk)")
    parser.add_argument("--small", action="store_true", help="100,000 events / 10,000 customers, no BPIC 2012")
    parser.add_argument("--import-rounds", type=int, default=3,
                        help="interleaved rounds of BPIC 2012's import beside pm4py's read_xes (0: none)")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.small:
        args.events, args.customers, args.no_bpic = 100_000, 10_000, True
    if args.child:
        child(args.child[0], args.child[1:])
        return
    warnings.simplefilter("ignore")
    backends = args.backends.split(",")
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "machine": platform.platform(),
                              "cpus": os.cpu_count(), "polars": pl.__version__}
    with tempfile.TemporaryDirectory(prefix="momentos-analytics-") as tmp:
        workdir = Path(tmp)
        if not args.no_generated:
            df = generate(args.events, args.customers)
            print(f"generated log: {len(df)} events, {df['case:concept:name'].nunique()} cases")
            report["generated"] = bench_log("generated", df, backends, workdir, args.repeat,
                                            lambda e, _u, o: {"ingest_s": store_generated(e, o, df)})
            save(report)
        if not args.no_bpic:
            if not BPIC.exists():
                raise SystemExit(f"BPIC 2012 not found at {BPIC} (set MOMENTOS_BENCH_BPIC, or pass --no-bpic)")
            report["bpic2012"] = bench_bpic(backends, workdir, args.repeat, args.streamed, args.import_rounds)
            save(report)


def save(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    name = "analytics-bpic.json" if "generated" not in report else "analytics.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {RESULTS / name}")


def import_rounds(backends: list[str], workdir: Path, rounds: int) -> dict[str, Any]:
    """XES import of BPIC 2012 beside pm4py's ``read_xes``, in interleaved rounds: in each, pm4py's reader and then
    the bulk import into a fresh store of each backend, every one in a process of its own. This machine's speed drifts
    by tens of percent from minute to minute, so each round's ratio compares runs made side by side; the medians over
    the rounds are reported."""
    runs: dict[str, list[dict[str, Any]]] = {"read_xes": [], "read_r4pm": [], **{b: [] for b in backends}}
    for n in range(1, rounds + 1):
        runs["read_xes"].append(run_child("read-xes", str(BPIC)))
        line = f"import round {n}/{rounds}: pm4py read_xes {runs['read_xes'][-1]['seconds']:.1f} s"
        for backend in backends:
            engine, url = fresh_store(backend, workdir / "imports.db", PG_SCHEMA)
            org_id = new_org(engine, {})
            engine.dispose()
            run = run_child("import", str(BPIC), url, str(org_id))
            run["speedup_vs_read_xes"] = runs["read_xes"][-1]["seconds"] / run["seconds"]
            engine = make_engine(url)
            run["rewrite_s"] = rewrite_seconds(engine, backend == "postgresql")
            engine.dispose()
            runs[backend].append(run)
            drop_store(backend, PG_SCHEMA)
            line += (f"; {backend} {run['seconds']:.1f} s ({run['speedup_vs_read_xes']:.2f}x; its rows written again "
                     f"{run['rewrite_s']:.1f} s)")
        runs["read_r4pm"].append(run_child("read-r4pm", str(BPIC)))
        print(f"{line}; r4pm's reader alone {runs['read_r4pm'][-1]['seconds']:.1f} s", flush=True)
    summary: dict[str, Any] = {"rounds": runs, "median_read_xes_s": statistics.median(
        r["seconds"] for r in runs["read_xes"])}
    for backend in backends:
        summary[backend] = {
            "median_s": statistics.median(r["seconds"] for r in runs[backend]),
            "median_speedup_vs_read_xes": statistics.median(r["speedup_vs_read_xes"] for r in runs[backend]),
            "min_speedup_vs_read_xes": min(r["speedup_vs_read_xes"] for r in runs[backend]),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs[backend]),
            # what any importer keeping this table needs at least: r4pm's read plus the store's own write of the rows
            "lower_bound_s": statistics.median(r["seconds"] + w["rewrite_s"]
                                               for r, w in zip(runs["read_r4pm"], runs[backend], strict=True)),
        }
        print(f"BPIC 2012 import into {backend} (bulk road): median {summary[backend]['median_s']:.1f} s, "
              f"median {summary[backend]['median_speedup_vs_read_xes']:.2f}x pm4py read_xes (lowest "
              f"{summary[backend]['min_speedup_vs_read_xes']:.2f}x), peak RSS up to "
              f"{summary[backend]['max_peak_rss_mb']:.0f} MB (pm4py up to "
              f"{max(r['peak_rss_mb'] for r in runs['read_xes']):.0f} MB); lower bound for any importer into this "
              f"table (r4pm's read + the store writing the rows): {summary[backend]['lower_bound_s']:.1f} s, against "
              f"{summary['median_read_xes_s'] / 2:.1f} s for 2x", flush=True)
    return summary


def rewrite_seconds(engine: Engine, postgres: bool) -> float:
    """The store's own cost for the rows an import wrote: the events, written again in one transaction into an empty
    copy of the events table (same constraints, indexes and reference checks): one COPY of CSV on PostgreSQL, one
    executemany under the bulk road's page cache on SQLite. No importer keeping this table writes them for less."""
    columns = list(EVENT_COLUMNS)
    pooled = engine.raw_connection()
    try:
        conn: Any = pooled.driver_connection
        copy_events_table(conn, postgres, "events_rewrite")
        conn.commit()
        if postgres:
            data = bytearray()
            with conn.cursor() as cur, cur.copy(f"COPY (SELECT {','.join(columns)} FROM events ORDER BY id) "
                                                "TO STDOUT WITH (FORMAT csv)") as out:
                for block in out:
                    data += block
            started = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY events_rewrite ({','.join(columns)}) FROM STDIN "
                                                "WITH (FORMAT csv)") as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(bytes(data[start:start + (1 << 20)]))
            conn.commit()
            return time.perf_counter() - started
        rows = conn.execute(f"SELECT {','.join(columns)} FROM events ORDER BY id").fetchall()
        conn.execute("PRAGMA cache_size = -262144")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO events_rewrite ({','.join(columns)}) "
                         f"VALUES ({','.join('?' * len(columns))})", rows)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        pooled.close()


def bench_bpic(backends: list[str], workdir: Path, repeat: int, streamed_too: bool,
               rounds: int) -> dict[str, Any]:
    import pm4py

    imports = import_rounds(backends, workdir, rounds) if rounds else None
    reader = run_child("read-xes", str(BPIC))
    rust_reader = run_child("read-xes-r4pm", str(BPIC))
    print(f"BPIC 2012: pm4py read_xes (default iterparse reader) {reader['seconds']:.1f} s, peak RSS "
          f"{reader['peak_rss_mb']:.0f} MB; pm4py read_xes with r4pm {rust_reader['seconds']:.1f} s, peak RSS "
          f"{rust_reader['peak_rss_mb']:.0f} MB")
    df = pm4py.read_xes(str(BPIC), variant="iterparse", show_progress_bar=False)

    def load(engine: Engine, url: str, org_id: int) -> dict[str, Any]:
        imported = run_child("import", str(BPIC), url, str(org_id))
        for name, ref in (("read_xes", reader), ("read_xes_r4pm", rust_reader)):
            imported[f"speedup_vs_{name}"] = ref["seconds"] / imported["seconds"]
        print(f"BPIC 2012 import (bulk road): {imported['seconds']:.1f} s, peak RSS {imported['peak_rss_mb']:.0f} MB "
              f"({imported['speedup_vs_read_xes']:.2f}x pm4py read_xes, "
              f"{imported['speedup_vs_read_xes_r4pm']:.2f}x pm4py read_xes with r4pm)", flush=True)
        if streamed_too:  # the streaming road, into a second organization of the same store (then removed)
            other = new_org(engine, {}, slug="bench-streamed")
            streamed = run_child("import-streamed", str(BPIC), url, str(other))
            imported["streamed"] = {**streamed, "speedup_vs_read_xes": reader["seconds"] / streamed["seconds"]}
            print(f"BPIC 2012 import (streaming road, --no-bulk): {streamed['seconds']:.1f} s, peak RSS "
                  f"{streamed['peak_rss_mb']:.0f} MB ({reader['seconds'] / streamed['seconds']:.2f}x)", flush=True)
            delete_org(engine, other)
        return imported

    result = bench_log("bpic2012", df, backends, workdir, repeat, load)
    result["import_rounds"] = imports
    result["pm4py_read_xes"] = reader
    result["pm4py_read_xes_r4pm"] = rust_reader
    return result


if __name__ == "__main__":
    main()
