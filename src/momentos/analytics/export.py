"""Export an organization's event log as XES (IEEE 1849), CSV or Parquet, in pm4py's column convention.

Rows are written case by case, each case's events in (timestamp, event id) order. CSV and Parquet carry the columns
``case:concept:name``, ``concept:name``, ``time:timestamp`` (ISO 8601 with offset in CSV), ``channel``, ``moment``,
``service`` and ``customer``, then one column per event property key (``org:resource``, ``lifecycle:transition``,
``case:…`` for the trace attributes of an imported XES…), as text; keys that would shadow a standard column are
left out. In CSV, a text cell a spreadsheet would run as a formula (``=…``, ``+…``, ``@…``, ``-1+1``) gets a
leading apostrophe (:mod:`momentos.kit.csv_cells`; plain numbers stay as they are); XES and Parquet keep the stored
text. In XES, ``case:`` properties become trace attributes (from the case's first event) and the others event
attributes, all as ``string``. XES is built with vectorised escaping: every value is escaped for XML attributes
(``& < > "`` and line breaks as character references) and characters XML 1.0 forbids become U+FFFD, so any stored
text gives a well-formed document. A ``.gz`` file name writes gzip.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import IO, Literal, cast

import polars as pl
from sqlalchemy.orm import Session

from momentos.analytics.log import ACTIVITY, CASE, PM4PY_COLUMNS, TIMESTAMP, LogFilter, load_log
from momentos.analytics.views import activity_steps
from momentos.kit.csv_cells import neutralized_frame

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
            neutralized_frame(frame).write_csv(fh, datetime_format="%Y-%m-%dT%H:%M:%S%.6f%:z")
    elif fmt == "parquet":
        frame.write_parquet(out)
    else:
        with _open(out) as fh:
            write_xes(frame, fh)
    return frame.height


def pm4py_frame(session: Session, org_id: int, flt: LogFilter | None = None) -> pl.DataFrame:
    """The log in pm4py's columns plus one column per property key, case by case, each case's events in order."""
    flt = replace(flt or LogFilter(), properties=True, lean=False, stays_only=False)
    frame = activity_steps(load_log(session, org_id, flt))
    return frame.select(*PM4PY_COLUMNS, *_property_columns(frame["properties"]))


def _property_columns(properties: pl.Series) -> list[pl.Expr]:
    """One text column per property key found in the log, in sorted order."""
    keys: set[str] = set()
    for text in properties.drop_nulls().unique().to_list():
        value = json.loads(text)
        if isinstance(value, dict):
            keys.update(value)
    out = []
    for key in sorted(keys - set(PM4PY_COLUMNS)):
        path = "$[" + json.dumps(key) + "]"
        out.append(pl.col("properties").str.json_path_match(path).alias(key))
    return out


def _open(out: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(out, "wb")) if out.suffix == ".gz" else out.open("wb")


def _escaped(name: str) -> pl.Expr:
    expr = pl.col(name).cast(pl.String).str.replace_all(_INVALID_XML, "\ufffd")
    for raw, entity in _ESCAPES:
        expr = expr.str.replace_all(raw, entity, literal=True)
    return expr


def _xml_text(text: str) -> str:
    text = re.sub(_INVALID_XML, "\ufffd", text)
    for raw, entity in _ESCAPES:
        text = text.replace(raw, entity)
    return text


def _string_attr(key: str, column: str) -> pl.Expr:
    return pl.concat_str(pl.lit(f'<string key="{_xml_text(key)}" value="'), _escaped(column), pl.lit('"/>'))


def write_xes(frame: pl.DataFrame, fh: IO[bytes]) -> None:
    """Stream ``frame`` (pm4py columns, sorted by case) as an XES document to ``fh``."""
    new_case = pl.col(CASE) != pl.col(CASE).shift(1)
    extra = [c for c in frame.columns if c not in PM4PY_COLUMNS]
    trace_attrs = [c for c in extra if c.startswith("case:")]
    event_attrs = [c for c in extra if not c.startswith("case:")]
    trace_open = pl.concat_str(pl.lit("<trace>"), _string_attr("concept:name", CASE),
                               *(_string_attr(c.removeprefix("case:"), c) for c in trace_attrs), ignore_nulls=True)
    timestamp = pl.col(TIMESTAMP).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    lines = frame.select(pl.concat_str(
        pl.when(pl.int_range(pl.len()) == 0).then(trace_open)
        .when(new_case).then(pl.concat_str(pl.lit("</trace>\n"), trace_open)),
        pl.lit("\n<event>"), _string_attr("concept:name", ACTIVITY),
        pl.concat_str(pl.lit('<date key="time:timestamp" value="'), timestamp, pl.lit('"/>')),
        *(_string_attr(c, c) for c in (*PM4PY_COLUMNS[3:], *event_attrs)),
        pl.lit("</event>"), ignore_nulls=True).alias("xml"))
    fh.write(_XES_HEAD.encode())
    for start in range(0, lines.height, _CHUNK):
        part = lines["xml"].slice(start, _CHUNK)
        fh.write(("\n".join(part.to_list()) + "\n").encode())
    fh.write((_XES_TAIL if lines.height else "</log>\n").encode())
