"""An imported real log gives exactly pm4py's DFG, performance DFG, start/end activities and variants.

The file is imported with the core importer into a fresh organization (SQLite and PostgreSQL), and every figure is
compared with pm4py's on its own reading of the same file: counts exactly, durations (mean and median seconds
between two activities) to the millisecond. Both paths are checked: the incremental aggregates (what unfiltered
queries read) and the full recomputation from the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from tests.analytics.pm4py_reference import reference_xes
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, make_service

MS = 0.001
LOGS = ["running-example.xes", "receipt_coselog.xes.gz", "helpdesk.xes.gz"]


def import_log(db: Session, org_id: int, path: Path) -> None:
    make_service(db, org_id, key="log", touchpoints={})
    import_file(db, org_id, path, ImportOptions(service="log"), reactions=REACTIONS)


@pytest.mark.parametrize("full", [False, True], ids=["aggregates", "full"])
@pytest.mark.parametrize("name", LOGS)
def test_imported_log_agrees_with_pm4py(db: Session, org: OrgHandle, name: str, full: bool) -> None:
    path = DATA / name
    ref = reference_xes(path)
    import_log(db, org.id, path)
    q = AnalyticsQuery()

    assert {(e.source, e.target): e.frequency for e in analytics.dfg(db, org.id, q, full=full)} == ref.dfg

    performance = {(e.source, e.target): e for e in analytics.performance_dfg(db, org.id, q, full=full)}
    assert set(performance) == set(ref.performance)
    for pair, figures in ref.performance.items():
        assert performance[pair].frequency == ref.dfg[pair]
        assert performance[pair].mean_s == pytest.approx(figures["mean"], abs=MS), pair
        assert performance[pair].median_s == pytest.approx(figures["median"], abs=MS), pair

    ends = analytics.start_end(db, org.id, q, full=full)
    assert ends.start == ref.start
    assert ends.end == ref.end

    variants = analytics.variants(db, org.id, q, full=full)
    assert {tuple(v.variant): v.count for v in variants} == ref.variants
    assert sum(v.share for v in variants) == pytest.approx(1.0)
