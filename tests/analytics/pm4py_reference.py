"""pm4py as the reference implementation (a test-only dependency: pm4py is AGPL-3.0)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pm4py


@dataclass(frozen=True)
class Reference:
    dfg: dict[tuple[str, str], int]
    performance: dict[tuple[str, str], dict[str, float]]
    start: dict[str, int]
    end: dict[str, int]
    variants: dict[tuple[str, ...], int]


def reference_of(df: pd.DataFrame) -> Reference:
    dfg, _, _ = pm4py.discover_dfg(df)
    performance, _, _ = pm4py.discover_performance_dfg(df)
    return Reference(dfg=dict(dfg), performance={k: dict(v) for k, v in performance.items()},
                     start=dict(pm4py.get_start_activities(df)), end=dict(pm4py.get_end_activities(df)),
                     variants={tuple(k): int(v) for k, v in pm4py.get_variants(df).items()})


@cache
def reference_xes(path: Path) -> Reference:
    """pm4py's own reading of the file, then its DFG, performance DFG, start/end activities and variants."""
    return reference_of(read_xes(path))


def read_xes(path: Path) -> Any:
    with warnings.catch_warnings():
        # pm4py advises installing its optional fast reader (r4pm) with a UserWarning; its reader is what we compare.
        warnings.filterwarnings("ignore", message=".*r4pm.*", category=UserWarning)
        return pm4py.read_xes(str(path), show_progress_bar=False)
