"""Export an organization's event log as XES (IEEE 1849), CSV or Parquet, in pm4py's column convention.

Rows are written case by case, each case's events in (timestamp, event id) order. CSV and Parquet carry the columns
``case:concept:name``, ``concept:name``, ``time:timestamp`` (ISO 8601 with offset in CSV), ``channel``, ``moment``,
``service`` and ``customer``. XES is built with vectorised escaping: every value is escaped for XML attributes
(``& < > "`` and line breaks as character references) and characters XML 1.0 forbids become U+FFFD, so any stored
text gives a well-formed document. A ``.gz`` file name writes gzip.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Literal, cast

import polars as pl
from sqlalchemy.orm import Session

from momentos.analytics.log import ACTIVITY, CASE, PM4PY_COLUMNS, TIMESTAMP, LogFilter, load_log
from momentos.analytics.views import activity_steps

ExportFormat = Literal["xes", "csv", "parquet"]
_XES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
    '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
    '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n'
    '<global scope="event"><string key="concept:name" value="__INVALID__"/>'
    '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>\n')
_XES_TAIL = "</trace>\n</log>\n"
_INVALID_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\n", "&#10;"), ("\r", "&#13;"),
            ("\t", "&#9;"))
_CHUNK = 100_000


def export_log(session: Session, org_id: int, out: Path, fmt: ExportFormat, flt: LogFilter | None = None) -> int:
    """Write the (filtered) log to ``out``; returns the number of events written."""
    frame = pm4py_frame(session, org_id, flt)
    if fmt == "csv":
        with _open(out) as fh:
            frame.write_csv(fh, datetime_format="%Y-%m-%dT%H:%M:%S%.6f%:z")
    elif fmt == "parquet":
        frame.write_parquet(out)
    else:
        with _open(out) as fh:
            write_xes(frame, fh)
    return frame.height


def pm4py_frame(session: Session, org_id: int, flt: LogFilter | None = None) -> pl.DataFrame:
    """The log in pm4py's columns, case by case, each case's events in order."""
    return activity_steps(load_log(session, org_id, flt)).select(PM4PY_COLUMNS)


def _open(out: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(out, "wb")) if out.suffix == ".gz" else out.open("wb")


def _escaped(name: str) -> pl.Expr:
    expr = pl.col(name).cast(pl.String).str.replace_all(_INVALID_XML, "\ufffd")
    for raw, entity in _ESCAPES:
        expr = expr.str.replace_all(raw, entity, literal=True)
    return expr


def _string_attr(key: str, column: str) -> pl.Expr:
    return pl.concat_str(pl.lit(f'<string key="{key}" value="'), _escaped(column), pl.lit('"/>'))


def write_xes(frame: pl.DataFrame, fh: IO[bytes]) -> None:
    """Stream ``frame`` (pm4py columns, sorted by case) as an XES document to ``fh``."""
    new_case = pl.col(CASE) != pl.col(CASE).shift(1)
    trace_open = pl.concat_str(pl.lit("<trace>"), _string_attr("concept:name", CASE))
    timestamp = pl.col(TIMESTAMP).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    lines = frame.select(pl.concat_str(
        pl.when(pl.int_range(pl.len()) == 0).then(trace_open)
        .when(new_case).then(pl.concat_str(pl.lit("</trace>\n"), trace_open)),
        pl.lit("\n<event>"), _string_attr("concept:name", ACTIVITY),
        pl.concat_str(pl.lit('<date key="time:timestamp" value="'), timestamp, pl.lit('"/>')),
        *(_string_attr(c, c) for c in PM4PY_COLUMNS[3:]),
        pl.lit("</event>"), ignore_nulls=True).alias("xml"))
    fh.write(_XES_HEAD.encode())
    for start in range(0, lines.height, _CHUNK):
        part = lines["xml"].slice(start, _CHUNK)
        fh.write(("\n".join(part.to_list()) + "\n").encode())
    fh.write((_XES_TAIL if lines.height else "</log>\n").encode())
