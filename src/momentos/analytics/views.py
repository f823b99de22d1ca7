"""Two ways to read a log as cases of steps: over activities (every event) and over moments (every stay).

Both return a frame with ``case_key``, ``step``, ``time:timestamp`` (and the source columns), sorted so that each
case's steps are contiguous and in order: activities by (timestamp, event id) — a stable order by time, ties kept
in storage order, which for an imported file is the file's order, as pm4py does — and stays by their number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl

from momentos.analytics.log import ACTIVITY, CASE_KEY, EVENT_ID, TIMESTAMP

By = Literal["activity", "moment"]
STEP = "step"
MomentMap = Mapping[tuple[int, str], str | None]
"""(service id, moment key of its model) → the moment to show (e.g. one of the 8 contact moments), or None."""


def activity_steps(log: pl.DataFrame) -> pl.DataFrame:
    return log.with_columns(pl.col(ACTIVITY).alias(STEP)).sort([CASE_KEY, TIMESTAMP, EVENT_ID])


def moment_steps(log: pl.DataFrame, mapping: MomentMap | None = None) -> pl.DataFrame:
    """The stays (events that entered a moment), as steps named by their moment, optionally mapped."""
    stays = log.filter(pl.col("stay_seq").is_not_null() & pl.col("moment").is_not_null())
    if mapping is not None:
        table = pl.DataFrame({"service_id": [k[0] for k in mapping], "moment": [k[1] for k in mapping],
                              "mapped": list(mapping.values())},
                             schema={"service_id": pl.Int64, "moment": pl.String, "mapped": pl.String})
        stays = (stays.join(table, on=["service_id", "moment"], how="left")
                 .with_columns(pl.col("mapped").alias("moment")).drop("mapped")
                 .filter(pl.col("moment").is_not_null()))
    return stays.with_columns(pl.col("moment").alias(STEP)).sort([CASE_KEY, "stay_seq"])


def steps(log: pl.DataFrame, by: By, mapping: MomentMap | None = None) -> pl.DataFrame:
    return activity_steps(log) if by == "activity" else moment_steps(log, mapping)
