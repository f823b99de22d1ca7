"""The first analytics answer after an import with no worker running, beside pm4py on a DataFrame in memory.

The log: BPIC 2012 (``../shared/data/logs/bpic2012.xes.gz``), complete lifecycle events only by default (164,506
events, 13,087 cases: the log here closest to the issue's "157k-event log"), one service whose touchpoints map the
loan application's steps onto the 8 contact moments (so the funnel has stays). For each backend, in one run:

- **after import**: ``momentos import``'s entry point (``imports.history.run_import``: the import, committed, then
  the analytics refresh job for that organization, the aggregates' only writer); no worker runs. Then, each in a
  fresh transaction as a request would, the first DFG, variants and funnel answers through ``analytics.service``;
- **with new events**: then a batch of new cases stored through the ingestion service, still no worker: the first
  answers read the stored aggregates plus the in-memory fold of the events above the watermark;
- **never refreshed**: the same file imported by ``imports.service.import_file`` alone (what the bench of the
  import measures; no refresh ever ran) into a second store: the first answers take the full path (the log loaded
  and computed with Polars), since no aggregates exist.

pm4py computes the same DFG and variants from a pandas DataFrame already in memory (the same events, read back from
the store and put in pm4py's format with ``format_dataframe``, not timed), best of ``--repeat``, in the same run,
right after each backend's answers. pm4py has no moment funnel: that row compares with Polars computing it from the
log frame already in memory. Ratio = reference / Momentos (≥ 1: the first answer is no slower); ``ratio_best``
compares with Momentos's best of ``--repeat`` answers in fresh transactions (the same reads as the first; on a
loaded machine one-shot times jump). Prints a table; writes bench/results/first_answer.json.

    .venv/bin/python bench/first_answer.py [--backends sqlite,postgresql] [--lifecycle complete|all] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from analytics import BPIC, new_org  # bench/ is on the path when a script runs
from momentos.analytics import incremental, indicators, views
from momentos.analytics import service as analytics
from momentos.analytics.log import load_log
from momentos.analytics.schemas import AnalyticsQuery
from momentos.bootstrap import reactions
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.db import make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.imports.history import Actor, run_import
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from stores import drop_store, fresh_store

REACTIONS = reactions()
"""Built once, as a process would (their caches persist across calls)."""

PG_SCHEMA = "momentos_bench_first_answer"
RESULTS = Path(__file__).parent / "results"
TOUCHPOINTS = {  # BPIC 2012's loan application steps onto the 8 contact moments
    "A_SUBMITTED": "awareness", "A_PARTLYSUBMITTED": "first_contact", "A_PREACCEPTED": "consideration",
    "W_Completeren aanvraag": "consideration", "A_ACCEPTED": "purchase", "O_SENT": "purchase",
    "A_FINALIZED": "delivery", "W_Valideren aanvraag": "delivery", "A_REGISTERED": "use", "A_APPROVED": "use",
    "A_ACTIVATED": "use", "W_Nabellen incomplete dossiers": "support", "O_SENT_BACK": "support",
    "O_ACCEPTED": "loyalty"}
VIEWS: dict[str, Callable[[Session, int], Any]] = {
    "dfg": lambda s, org: analytics.dfg(s, org, AnalyticsQuery()),
    "variants": lambda s, org: analytics.variants(s, org, AnalyticsQuery()),
    "funnel": lambda s, org: analytics.funnel(s, org, AnalyticsQuery(service="svc")),
}
NEW_CASES = 200


def first_answers(engine: Engine, org_id: int, repeat: int) -> dict[str, Any]:
    """Each view's first answer, in a transaction of its own (as one request), how the read was answered, and the
    best of ``repeat`` answers in fresh transactions (the same reads: this machine's load makes one-shot times
    jump)."""
    factory = make_session_factory(engine)
    out: dict[str, Any] = {}
    with unit_of_work(factory) as session:
        pending = incremental.pending(session, org_id)
        out["answered_by"] = ("full path" if pending is None else "aggregates" if pending.delta is None
                              else f"aggregates + fold of {pending.cases} cases")
    for name, view in VIEWS.items():
        times = []
        for _ in range(max(repeat, 1)):
            with unit_of_work(factory) as session:
                started = time.perf_counter()
                view(session, org_id)
                times.append(time.perf_counter() - started)
        out[name], out[f"{name}_best"] = times[0], min(times)
    return out


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def references(engine: Engine, org_id: int, repeat: int) -> tuple[dict[str, float], dict[str, bool]]:
    """pm4py's DFG and variants on a pandas DataFrame in memory, Polars' funnel on the log frame in memory; and
    whether Momentos's answers equal pm4py's."""
    import pm4py

    with unit_of_work(make_session_factory(engine)) as session:
        log = load_log(session, org_id)
        dfg = {(e.source, e.target): e.frequency for e in analytics.dfg(session, org_id, AnalyticsQuery())}
        variants = {tuple(v.variant): v.count for v in analytics.variants(session, org_id, AnalyticsQuery())}
    frame = log.sort("event_id").select("case:concept:name", "concept:name", "time:timestamp").to_pandas()
    # pm4py's own format (a stable order of each case's events by time, ties in storage order, as Momentos)
    df: pd.DataFrame = pm4py.format_dataframe(frame, case_id="case:concept:name", activity_key="concept:name",
                                              timestamp_key="time:timestamp")
    moments = list(CANONICAL_KEYS)
    times = {"dfg": best(lambda: pm4py.discover_dfg(df), repeat),
             "variants": best(lambda: pm4py.get_variants(df), repeat),
             "funnel": best(lambda: indicators.funnel(views.moment_steps(log), moments, datetime.now(UTC)), repeat)}
    agrees = {"dfg": dfg == dict(pm4py.discover_dfg(df)[0]),
              "variants": variants == {tuple(k): int(v) for k, v in pm4py.get_variants(df).items()}}
    return times, agrees


def add_new_cases(engine: Engine, org_id: int) -> float:
    """NEW_CASES new cases of three events each, through the ingestion service (no refresh follows)."""
    t0 = datetime(2013, 1, 1, tzinfo=UTC)
    steps = ["A_SUBMITTED", "A_PARTLYSUBMITTED", "A_PREACCEPTED"]
    batch = [EventIn(message_id=f"new-{c}-{i}", customer=f"new-{c}", process=f"new-{c}", service="svc",
                     activity=step, timestamp=t0 + timedelta(minutes=c * 10 + i))
             for c in range(NEW_CASES) for i, step in enumerate(steps)]
    started = time.perf_counter()
    with unit_of_work(make_session_factory(engine)) as session:
        ingest(session, org_id, Batch(events=batch), source="bench", reactions=REACTIONS)
    return time.perf_counter() - started


def bench_backend(backend: str, workdir: Path, options: ImportOptions, repeat: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    engine, _ = fresh_store(backend, workdir / "first.db", PG_SCHEMA)
    try:
        org_id = new_org(engine, TOUCHPOINTS)
        started = time.perf_counter()
        outcome = run_import(make_session_factory(engine), org_id, BPIC, options, Actor("cli", "bench"),
                             reactions=REACTIONS)
        assert outcome.report is not None, outcome.error
        total = time.perf_counter() - started
        result["import"] = {"events": outcome.report.accepted, "cases": outcome.report.cases,
                            "import_file_s": outcome.report.seconds, "run_import_s": total,
                            "refresh_s": total - outcome.report.seconds}
        print(f"{backend}: imported {outcome.report.accepted} events in {total:.1f} s "
              f"(import_file {outcome.report.seconds:.1f} s, then the refresh job)", flush=True)
        result["after_import"] = first_answers(engine, org_id, repeat)
        result["reference"], result["agrees_with_pm4py"] = references(engine, org_id, repeat)
        result["new_cases_ingest_s"] = add_new_cases(engine, org_id)
        result["with_new_events"] = first_answers(engine, org_id, repeat)
    finally:
        engine.dispose()
        drop_store(backend, PG_SCHEMA)
    engine, _ = fresh_store(backend, workdir / "first.db", PG_SCHEMA)
    try:
        org_id = new_org(engine, TOUCHPOINTS)
        with unit_of_work(make_session_factory(engine)) as session:
            import_file(session, org_id, BPIC, options, reactions=REACTIONS)
        result["never_refreshed"] = first_answers(engine, org_id, repeat)
    finally:
        engine.dispose()
        drop_store(backend, PG_SCHEMA)
    return result


def table(report: dict[str, Any], backends: list[str]) -> list[dict[str, Any]]:
    rows = []
    for backend in backends:
        ref = report[backend]["reference"]
        for case in ("after_import", "with_new_events", "never_refreshed"):
            answers = report[backend][case]
            for view in VIEWS:
                rows.append({"backend": backend, "case": case, "answered_by": answers["answered_by"], "view": view,
                             "reference": "polars" if view == "funnel" else "pm4py", "reference_s": ref[view],
                             "first_s": answers[view], "ratio": ref[view] / answers[view],
                             "best_s": answers[f"{view}_best"], "ratio_best": ref[view] / answers[f"{view}_best"]})
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    widths = {"backend": 10, "case": 15, "answered_by": 30, "view": 8, "reference": 9, "reference_s": 11,
              "first_s": 8, "ratio": 7, "best_s": 8, "ratio_best": 10}
    print("  ".join(f"{k:>{w}}" for k, w in widths.items()))
    for r in rows:
        print("  ".join(f"{(f'{r[k]:.3f}' if isinstance(r[k], float) else str(r[k])):>{w}}"
                        for k, w in widths.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--lifecycle", choices=["complete", "all"], default="complete")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (pm4py, Polars, Momentos)")
    args = parser.parse_args()
    if not BPIC.exists():
        raise SystemExit(f"BPIC 2012 not found at {BPIC} (set MOMENTOS_BENCH_BPIC)")
    warnings.simplefilter("ignore")
    lifecycle: Literal["all", "complete"] = args.lifecycle
    options = ImportOptions(service="svc", lifecycle=lifecycle)
    backends = args.backends.split(",")
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "machine": platform.platform(),
                              "cpus": os.cpu_count(), "polars": pl.__version__, "log": str(BPIC),
                              "lifecycle": lifecycle}
    with tempfile.TemporaryDirectory(prefix="momentos-first-answer-") as tmp:
        for backend in backends:
            report[backend] = bench_backend(backend, Path(tmp), options, args.repeat)
    report["table"] = table(report, backends)
    print_table(report["table"])
    for backend in backends:
        print(f"{backend}: answers agree with pm4py: {report[backend]['agrees_with_pm4py']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "first_answer.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {RESULTS / 'first_answer.json'}")


if __name__ == "__main__":
    main()
