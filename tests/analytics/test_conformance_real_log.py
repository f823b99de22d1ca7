"""Conformance on a real log agrees with a plain Polars computation written from the definitions.

A slice of the help-desk log (tests/data/helpdesk.csv.gz, CC BY 4.0, see tests/data/README.md) is imported through
the normal import path into a service whose designed journey is written here: four activities enter four moments
in order, the rest are unplanned, and a 24-hour promise covers the first moment. The test then counts skipped
moments, out-of-order entries, moves backwards, unplanned activities and overstays with Polars straight from the
CSV and asserts the product's counts (aggregates and full path) are the same.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session

from momentos.analytics import incremental
from momentos.analytics import service as analytics
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.promises import definitions
from momentos.promises.schemas import PromiseCreate
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, TESTS, make_service

ROWS = 4_000
PLAN = {"Assign seriousness": "awareness", "Take in charge ticket": "first_contact",
        "Resolve ticket": "consideration", "Closed": "purchase"}
POS = {m: i for i, m in enumerate(["awareness", "first_contact", "consideration", "purchase"])}
ALLOWED_H = 24
KINDS = ("skipped", "out_of_order", "backward", "unplanned", "overstay")


@pytest.fixture(scope="module")
def slice_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with gzip.open(DATA / "helpdesk.csv.gz", "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(ROWS + 1)]
    path = tmp_path_factory.mktemp("helpdesk") / "helpdesk_slice.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def polars_counts(path: Path) -> dict[str, tuple[int, int]]:
    """kind → (cases with it, deviations), from the CSV alone."""
    log = (pl.read_csv(path).with_row_index("row")
           .select(pl.col("Case ID").alias("case"), pl.col("Activity").alias("act"), "row",
                   pl.col("Complete Timestamp").str.to_datetime("%Y/%m/%d %H:%M:%S%.f").alias("ts"))
           .sort("case", "ts", "row")
           .with_columns(pl.col("act").replace_strict(PLAN, default=None).alias("moment")))
    moved = log.filter(pl.col("moment").is_not_null())
    stays = (moved.filter(pl.col("moment") != pl.col("moment").shift(1).over("case").fill_null(""))
             .with_columns(pl.col("moment").replace_strict(POS, return_dtype=pl.Int64).alias("pos"),
                           pl.int_range(pl.len()).over("case").alias("i")))
    steps = stays.with_columns(pl.col("pos").shift(1).over("case").alias("prev")).filter(pl.col("prev").is_not_null())
    backward = steps.filter(pl.col("pos") < pl.col("prev")).select("case", pl.lit(1).alias("n"))
    first = stays.group_by("case", "pos").agg(pl.col("i").min().alias("first"))
    gaps = (steps.filter(pl.col("pos") > pl.col("prev") + 1)
            .with_columns(pl.int_ranges(pl.col("prev") + 1, pl.col("pos")).alias("gap")).explode("gap")
            .join(first.rename({"pos": "gap"}), on=["case", "gap"], how="left"))
    skipped = gaps.filter(pl.col("first").is_null()).select("case", pl.lit(1).alias("n"))
    out_of_order = (gaps.filter(pl.col("first") > pl.col("i")).unique(["case", "i"])
                    .select("case", pl.lit(1).alias("n")))
    entered = stays.group_by("case").agg(pl.col("ts").min().alias("t0"))
    unplanned = (log.filter(pl.col("moment").is_null()).join(entered, on="case")
                 .filter(pl.col("ts") >= pl.col("t0")).select("case", pl.lit(1).alias("n")))
    last = log.group_by("case").agg(pl.col("ts").max().alias("end"))
    overstay = (stays.join(last, on="case")
                .with_columns(pl.col("ts").shift(-1).over("case").fill_null(pl.col("end")).alias("left"))
                .filter((pl.col("moment") == "awareness")
                        & (pl.col("left") - pl.col("ts") > pl.duration(hours=ALLOWED_H)))
                .select("case", pl.lit(1).alias("n")))
    found = {"skipped": skipped, "out_of_order": out_of_order, "backward": backward, "unplanned": unplanned,
             "overstay": overstay}
    return {k: (f["case"].n_unique(), f.height) for k, f in found.items()}


def design_and_import(db: Session, org_id: int, path: Path) -> None:
    make_service(db, org_id, key="helpdesk", touchpoints=PLAN)
    definitions.create(db, org_id, PromiseCreate.model_validate({
        "key": "seriousness-fast", "service": "helpdesk", "moment": "awareness", "kind": "time",
        "text": {"es": "Valoramos tu caso en un día", "en": "We assess your case within a day"},
        "rule": {"type": "time", "start_activity": "Assign seriousness", "stop_activity": "Take in charge ticket",
                 "target_hours": ALLOWED_H}}), actor=TESTS)
    import_file(db, org_id, path, ImportOptions(service="helpdesk"), reactions=REACTIONS)


def test_deviation_counts_on_the_helpdesk_log_equal_a_polars_computation(db: Session, org: OrgHandle,
                                                                          slice_csv: Path) -> None:
    expected = polars_counts(slice_csv)
    assert all(expected[k][1] > 0 for k in KINDS if k != "out_of_order")  # none in this slice: counted anyway
    design_and_import(db, org.id, slice_csv)
    incremental.catch_up(db, org.id)
    for full in (False, True):
        read = analytics.conformance(db, org.id, "helpdesk", full=full)
        got = {d.kind: (d.processes, d.deviations) for d in read.deviations if d.moment == "*" and d.channel == "*"}
        assert {k: got.get(k, (0, 0)) for k in KINDS} == expected, f"full={full}"
