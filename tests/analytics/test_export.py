"""The exported log (XES, CSV, Parquet) read back by pm4py gives the same DFG and variants as Momentos shows."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pm4py
import pytest
from lxml import etree
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.export import ExportFormat, export_log
from momentos.analytics.schemas import AnalyticsQuery
from tests.analytics.pm4py_reference import Reference, read_xes, reference_of
from tests.analytics.test_pm4py_agreement import import_log
from tests.conftest import DATA, OrgHandle
from tests.factories import event, make_service, send


def read_back(path: Path, fmt: ExportFormat) -> pd.DataFrame:
    if fmt == "xes":
        return read_xes(path)
    df = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    return pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                                  timestamp_key="time:timestamp")


def momentos_figures(db: Session, org_id: int) -> Reference:
    q = AnalyticsQuery()
    ends = analytics.start_end(db, org_id, q)
    return Reference(dfg={(e.source, e.target): e.frequency for e in analytics.dfg(db, org_id, q)},
                     performance={(e.source, e.target): {"mean": e.mean_s, "median": e.median_s}
                                  for e in analytics.performance_dfg(db, org_id, q)},
                     start=ends.start, end=ends.end,
                     variants={tuple(v.variant): v.count for v in analytics.variants(db, org_id, q)})


@pytest.mark.parametrize("fmt", ["xes", "csv", "parquet"])
def test_exported_log_read_by_pm4py_gives_momentos_figures(db: Session, org: OrgHandle, tmp_path: Path,
                                                           fmt: ExportFormat) -> None:
    import_log(db, org.id, DATA / "running-example.xes")
    out = tmp_path / f"log.{fmt}"
    assert export_log(db, org.id, out, fmt) == 42
    df = read_back(out, fmt)
    ref, ours = reference_of(df), momentos_figures(db, org.id)
    assert (ours.dfg, ours.start, ours.end, ours.variants) == (ref.dfg, ref.start, ref.end, ref.variants)
    for pair, figures in ref.performance.items():
        assert ours.performance[pair]["mean"] == pytest.approx(figures["mean"], abs=0.001)
        assert ours.performance[pair]["median"] == pytest.approx(figures["median"], abs=0.001)
    assert {"channel", "service", "customer"} <= set(df.columns)  # no moments in this log: none written in XES
    assert set(df["service"]) == {"log"}


def test_csv_and_parquet_use_pm4py_column_names(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "ad_clicked", 0, service="shop", channel="web"),
         event("ana", "signed_up", 1.5, service="shop", channel="email"))
    export_log(db, org.id, tmp_path / "log.parquet", "parquet")
    df = pd.read_parquet(tmp_path / "log.parquet")
    assert list(df.columns) == ["case:concept:name", "concept:name", "time:timestamp", "channel", "moment",
                                "service", "customer"]
    assert df.to_dict("records")[1] | {"time:timestamp": None} == {
        "case:concept:name": df["case:concept:name"][0], "concept:name": "signed_up", "time:timestamp": None,
        "channel": "email", "moment": "first_contact", "service": "shop", "customer": "ana"}
    assert (df["time:timestamp"][1] - df["time:timestamp"][0]).total_seconds() == 90


def test_xes_export_is_well_formed_for_any_stored_text(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    nasty = 'say "hi" <b>&amp;</b>\nnext\tline \x01 ünï'
    send(db, org.id, event(nasty, nasty, 0), event(nasty, "second", 1), event("plain", "]]> --> <!--", 2))
    out = tmp_path / "log.xes.gz"
    assert export_log(db, org.id, out, "xes") == 3
    with gzip.open(out) as fh:
        root = etree.parse(fh, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    assert len(root.findall("{http://www.xes-standard.org/}trace")) == 2
    df = read_xes(out)
    activities = set(df["concept:name"])
    assert nasty.replace("\x01", "\ufffd") in activities
    assert {"second", "]]> --> <!--"} <= activities
    assert set(df["customer"]) == {nasty.replace("\x01", "\ufffd"), "plain"}


def test_export_of_an_empty_log_is_a_valid_document(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    assert export_log(db, org.id, tmp_path / "empty.xes", "xes") == 0
    root = etree.parse(str(tmp_path / "empty.xes")).getroot()
    assert root.tag == "{http://www.xes-standard.org/}log"


@pytest.mark.parametrize("fmt", ["xes", "csv", "parquet"])
def test_event_properties_and_trace_attributes_are_exported(db: Session, org: OrgHandle, tmp_path: Path,
                                                            fmt: ExportFormat) -> None:
    import_log(db, org.id, DATA / "running-example.xes")
    original = read_xes(DATA / "running-example.xes")
    out = tmp_path / f"log.{fmt}"
    export_log(db, org.id, out, fmt)
    df = read_back(out, fmt)
    assert {"org:resource", "Resource", "Costs"} <= set(df.columns)
    key = ["case:concept:name", "concept:name", "time:timestamp"]
    ours = df.sort_values(key)[["org:resource", "Costs"]].astype(str).to_numpy().tolist()
    theirs = original.sort_values(key)[["org:resource", "Costs"]].astype(str).to_numpy().tolist()
    assert ours == theirs
    if fmt == "xes":
        assert "case:creator" in df.columns  # a trace attribute stays a trace attribute


def test_odd_property_keys_give_well_formed_xes(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id)
    send(db, org.id, event("ana", "ad_clicked", 0, service="shop", properties={'a"<&>': "x", "case:tier": "gold"}))
    out = tmp_path / "odd.xes"
    export_log(db, org.id, out, "xes")
    root = etree.parse(str(out)).getroot()
    ns = "{http://www.xes-standard.org/}"
    trace = root.find(f"{ns}trace")
    assert trace is not None
    assert {a.get("key"): a.get("value") for a in trace.findall(f"{ns}string")}["tier"] == "gold"
    event_keys = {a.get("key"): a.get("value") for a in trace.find(f"{ns}event").findall(f"{ns}string")}
    assert event_keys['a"<&>'] == "x"
