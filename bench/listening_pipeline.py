"""The listening pipeline on a real database: CSV import (rows/s), the worker's analysis job end to end (texts/s,
claim → analyse → store), a needs refresh and an early-warning check (seconds).

Texts: UCI "Sentiment Labelled Sentences" (en, CC BY 4.0) and TASS 2020 train (es, research use: benchmark only,
nothing trained on it ships), from ../shared/data/feedback/. The model figures belong to ``bench/listening.py``;
this one measures what the database and the job add around them.

    .venv/bin/python bench/listening_pipeline.py [--import-rows N] [--analyse N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from momentos.db import make_engine, make_session_factory, table_of, unit_of_work  # noqa: E402
from momentos.listening.analysis import job as analysis_job  # noqa: E402
from momentos.listening.feedback.csv_import import import_csv  # noqa: E402
from momentos.listening.needs import service as needs  # noqa: E402
from momentos.listening.warning import service as early_warning  # noqa: E402
from momentos.migrate import upgrade  # noqa: E402
from momentos.models import Feedback  # noqa: E402
from momentos.orgs.schemas import OrganizationCreate  # noqa: E402
from momentos.orgs.service import create_organization  # noqa: E402

DATA = next((p / "shared" / "data" / "feedback" for p in (ROOT.parent, ROOT.parent.parent)
             if (p / "shared" / "data" / "feedback").is_dir()), ROOT.parent / "shared" / "data" / "feedback")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _texts() -> list[str]:
    out: list[str] = []
    for name in ("en_uci_labelled_sentences.csv", "es_tass2020_train.csv"):
        with (DATA / name).open(encoding="utf-8") as fp:
            out.extend(row["text"] for row in csv.DictReader(fp) if row["text"].strip())
    return out


def _engine(backend: str) -> Engine:
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS bench_listening CASCADE"))
        conn.execute(text("CREATE SCHEMA bench_listening"))
    admin.dispose()
    return make_engine(f"{PG_URL}?options=-csearch_path%3Dbench_listening")


def run(backend: str, texts: list[str], import_rows: int, analyse: int) -> dict[str, Any]:
    engine = _engine(backend)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = create_organization(session, OrganizationCreate(slug="bench", name="Bench"))[0].id
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    path = Path(tempfile.mkdtemp()) / "items.csv"
    with path.open("w", encoding="utf-8", newline="") as fp:
        writer = csv.writer(fp)
        writer.writerow(["external_id", "time", "text"])
        for i in range(import_rows):
            writer.writerow([f"r{i}", (now - timedelta(minutes=i)).isoformat(), texts[i % len(texts)]])
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        report = import_csv(session, org_id, path, "bench")
    import_s = time.perf_counter() - started
    with unit_of_work(factory) as session:  # analyse only the first ``analyse`` texts: park the others
        session.execute(table_of(Feedback).update().where(Feedback.external_id.notin_(
            [f"r{i}" for i in range(analyse)])).values(analyzed_at=now))
    analysis_job.analyse_batch(factory, now, batch=8)  # load the models once, outside the timing
    started, done = time.perf_counter(), 0
    while (n := analysis_job.analyse_batch(factory, now)) > 0:
        done += n
    analyse_s = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        found = needs.refresh(session, org_id, now)
    needs_s = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        early_warning.check(session, org_id, now)
    warning_s = time.perf_counter() - started
    engine.dispose()
    return {"backend": backend, "import_rows": report.accepted, "import_rows_per_s": round(report.accepted / import_s),
            "analysed": done + 8, "analysis_texts_per_s": round(done / analyse_s, 1), "needs": found,
            "needs_refresh_s": round(needs_s, 2), "warning_check_s": round(warning_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--import-rows", type=int, default=5000)
    parser.add_argument("--analyse", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    texts = _texts()
    results = [run(b, texts, args.import_rows, args.analyse) for b in args.backends.split(",")]
    for r in results:
        print(f"{r['backend']:>10}: import {r['import_rows_per_s']} rows/s · analysis job {r['analysis_texts_per_s']} "
              f"texts/s ({r['analysed']} texts) · needs refresh {r['needs_refresh_s']} s ({r['needs']} needs) · "
              f"early-warning check {r['warning_check_s']} s")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "listening_pipeline.json").write_text(json.dumps(
        {"machine": platform.platform(), "cpus": __import__("os").cpu_count(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
