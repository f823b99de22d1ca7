"""CSV event logs: one row per event, columns given by name or found by common names (pm4py's among them).

Rows are read as they come (nothing is held but the current row), each with its line number, so a bad row is
reported as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

from momentos.errors import ImportFailed, ValidationFailed
from momentos.imports.readers import ByteStream, ImportOptions, Record

SNIFF_LINES = 50
DELIMITERS = ",;\t|"

# Normalised header names (lower case, without spaces, '_' and '-'), in order of preference.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "case": ("case:concept:name", "caseid", "case"),
    "activity": ("concept:name", "activity", "activityname"),
    "timestamp": ("time:timestamp", "timestamp", "completetimestamp", "endtimestamp"),
    "customer": ("customer", "customerid", "case:customer"),
    "channel": ("channel", "case:channel"),
    "moment": ("moment", "case:moment"),
    "lifecycle": ("lifecycle:transition", "lifecycle"),
}
OPTION_OF = {"case": "--case-column", "activity": "--activity-column", "timestamp": "--timestamp-column",
             "customer": "--customer-column", "channel": "--channel-column", "moment": "--moment-column"}


@dataclass(frozen=True)
class Columns:
    """Where each field is in a row (None: not in the file); ``extra`` are the other columns, for properties."""

    width: int
    case: int
    activity: int
    timestamp: int
    customer: int | None
    channel: int | None
    moment: int | None
    lifecycle: int | None
    names: tuple[str, ...]
    extra: tuple[tuple[int, str], ...]


class TimestampParser:
    """Parses the timestamp column: with the given strptime format, else ISO 8601 (also with '/' for '-')."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt

    def __call__(self, value: str) -> datetime | None:
        text = value.strip()
        if self.fmt is not None:
            try:
                return datetime.strptime(text, self.fmt)  # noqa: DTZ007 - naive values get --timezone later
            except ValueError:
                return None
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
        if len(text) >= 10 and text[4:5] == "/" and text[7:8] == "/":
            try:
                return datetime.fromisoformat(text.replace("/", "-"))
            except ValueError:
                return None
        return None

    def explain(self) -> str:
        return f"expected format '{self.fmt}'" if self.fmt else "expected ISO 8601, or pass --timestamp-format"


def read_csv(stream: ByteStream, file: str, options: ImportOptions) -> Iterator[Record]:
    """Yield one record per data row of the CSV in ``stream``."""
    lines = _decoded_lines(stream, file, options.encoding)
    head = list(islice(lines, SNIFF_LINES))
    if not head:
        raise ImportFailed(file, 1, "the file is empty")
    delimiter = _delimiter(options.delimiter, head)
    reader = csv.reader(chain(head, lines), delimiter=delimiter, strict=True)
    header = _next_row(reader, file)
    columns = map_columns(header, file, options)
    parse_time = TimestampParser(options.timestamp_format)
    last = reader.line_num
    while True:
        row = _next_row(reader, file)
        if row is None:
            return
        line, last = last + 1, reader.line_num
        if row:
            yield _record(row, line, columns, parse_time, file)


def _decoded_lines(stream: ByteStream, file: str, encoding: str) -> Iterator[str]:
    """The file's lines as text, decoded one by one so that a decoding error names its line."""
    try:
        codec = codecs.lookup("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except LookupError as exc:
        raise ValidationFailed(f"Unknown encoding '{encoding}'.", code="unknown_encoding",
                               detail={"encoding": encoding}) from exc
    decoder = codec.incrementaldecoder("strict")
    for number, raw in enumerate(stream, start=1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as exc:
            raise ImportFailed(file, number, f"not valid {encoding} text (pass --encoding, e.g. latin-1)") from exc
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ImportFailed(file, None, f"the file ends inside a {encoding} character") from exc


def _delimiter(given: str | None, head: Sequence[str]) -> str:
    """The delimiter given ('\\t' accepted for tab), else the one csv.Sniffer finds, else the most common."""
    if given:
        delimiter = "\t" if given in ("\\t", "tab") else given
        if len(delimiter) != 1:
            raise ValidationFailed("The delimiter must be one character.", code="invalid_delimiter",
                                   detail={"delimiter": given})
        return delimiter
    sample = "".join(head)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return max(DELIMITERS, key=head[0].count)


def _next_row(reader: Iterator[list[str]], file: str) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        line = getattr(reader, "line_num", None)
        raise ImportFailed(file, line, f"malformed CSV: {exc}") from exc


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _find(header: Sequence[str], field: str, given: str | None, file: str) -> int | None:
    """The index of the column for ``field``: the one named by the option, else the first common name found."""
    if given is not None:
        if given in header:
            return header.index(given)
        folded = [name.strip().lower() for name in header]
        if given.strip().lower() in folded:
            return folded.index(given.strip().lower())
        raise ImportFailed(file, 1, f"no column named '{given}' ({OPTION_OF[field]}); the columns are: "
                                    + ", ".join(header))
    normal = [_normal(name) for name in header]
    for candidate in CANDIDATES[field]:
        if candidate in normal:
            return normal.index(candidate)
    return None


def map_columns(header: list[str] | None, file: str, options: ImportOptions) -> Columns:
    """Find the columns of each field in the header row; case, activity and timestamp are required."""
    if not header:
        raise ImportFailed(file, 1, "the first line must be a header with the column names")
    found = {field: _find(header, field, getattr(options, f"{field}_column", None), file)
             for field in CANDIDATES}
    if found["case"] is None:
        found["case"] = found["customer"]
    used = {index for index in found.values() if index is not None} - {found["lifecycle"]}
    return Columns(len(header), _required(found, "case", header, file), _required(found, "activity", header, file),
                   _required(found, "timestamp", header, file), found["customer"], found["channel"],
                   found["moment"], found["lifecycle"], tuple(header),
                   tuple((i, name) for i, name in enumerate(header) if i not in used))


def _required(found: dict[str, int | None], field: str, header: list[str], file: str) -> int:
    index = found[field]
    if index is None:
        raise ImportFailed(file, 1, f"no {field} column found; pass {OPTION_OF[field]} (the columns are: "
                                    + ", ".join(header) + ")")
    return index


def _optional(row: Sequence[str], index: int | None) -> str | None:
    if index is None:
        return None
    value = row[index].strip()
    return value or None


def _record(row: list[str], line: int, columns: Columns, parse_time: TimestampParser, file: str) -> Record:
    if len(row) != columns.width:
        raise ImportFailed(file, line, f"expected {columns.width} columns, found {len(row)}")
    case = row[columns.case].strip()
    if not case:
        raise ImportFailed(file, line, f"missing case id (column '{columns.names[columns.case]}')")
    activity = row[columns.activity].strip()
    if not activity:
        raise ImportFailed(file, line, f"missing activity (column '{columns.names[columns.activity]}')")
    raw_time = row[columns.timestamp]
    timestamp = parse_time(raw_time)
    if timestamp is None:
        raise ImportFailed(file, line, f"unparseable timestamp '{raw_time}' in column "
                                       f"'{columns.names[columns.timestamp]}' ({parse_time.explain()})")
    properties = {name: value for index, name in columns.extra if (value := row[index]) != ""}
    properties["case:concept:name"] = case
    return Record(line, case, activity, timestamp, customer=_optional(row, columns.customer),
                  channel=_optional(row, columns.channel), moment=_optional(row, columns.moment),
                  lifecycle=_optional(row, columns.lifecycle), properties=properties)

