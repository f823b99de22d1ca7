"""CSV import of complaints, reviews and social mentions: every row checked before anything is stored.

Columns (header names, case-insensitive): ``text`` (required), ``time`` / ``occurred_at`` / ``timestamp`` / ``date``
(required, ISO 8601; without an offset: UTC), ``external_id`` / ``id``, ``customer``, ``author`` / ``handle``,
``rating``, ``url``, ``kind`` (complaint | review | social | comment), ``service``, ``process_id``, ``moment``,
``promise``. Any bad row fails the whole file with ``FILE:LINE: reason`` (all bad rows listed in the detail, up
to ``MAX_ERRORS``); a file that is not UTF-8 text, is empty or has no ``text`` column fails before any row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.errors import ImportFailed
from momentos.kit.clock import utcnow
from momentos.listening.feedback import service as feedback
from momentos.listening.feedback.schemas import FeedbackIn, FeedbackResult

MAX_BYTES = 200 * 1024 * 1024
MAX_ERRORS = 50
CHUNK = 500
"""Rows stored per statement (the progress bar advances by chunk; the file is still all or nothing)."""
ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "comment", "body", "review"), "occurred_at": ("occurred_at", "time", "timestamp", "date"),
    "external_id": ("external_id", "id"), "customer": ("customer", "customer_id"),
    "author": ("author", "handle", "author_handle"), "rating": ("rating",), "url": ("url",), "kind": ("kind",),
    "service": ("service",), "process_id": ("process_id",), "moment": ("moment",), "promise": ("promise",),
}


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise ImportFailed(name, line, "binary content (NUL bytes): not a CSV text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFailed(name, line, "not UTF-8 text") from exc


def _columns(name: str, header: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key, names in ALIASES.items():
        for n in names:
            if n in lowered:
                found[key] = lowered.index(n)
                break
    for required in ("text", "occurred_at"):
        if required not in found:
            raise ImportFailed(name, 1, f"no '{required}' column (one of: {', '.join(ALIASES[required])})")
    return found


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _item(row: list[str], columns: dict[str, int], width: int, source: str) -> FeedbackIn:
    if len(row) != width:
        raise ValueError(f"{len(row)} fields where the header has {width}")
    values = {key: row[i] for key, i in columns.items() if row[i].strip() != "" or key == "text"}
    try:
        when = _parse_time(values.pop("occurred_at", ""))
    except ValueError as exc:
        raise ValueError("the time is not an ISO 8601 date and time") from exc
    feedback.check_text(values.get("text", ""))
    try:
        return FeedbackIn.model_validate({**values, "occurred_at": when, "source": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from exc


def read_items(name: str, data: bytes, source: str) -> tuple[list[FeedbackIn], list[int]]:
    """The items of a CSV file and their line numbers; raises ImportFailed listing every bad row."""
    if len(data) > MAX_BYTES:
        raise ImportFailed(name, None, f"file too large ({len(data)} bytes; at most {MAX_BYTES})")
    text = _decode(name, data)
    if not text.strip():
        raise ImportFailed(name, None, "empty file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    items: list[FeedbackIn] = []
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    try:
        header = next(reader)
        columns = _columns(name, header)
        line = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                line = reader.line_num + 1
                continue
            try:
                items.append(_item(row, columns, len(header), source))
                lines.append(line)
            except ValueError as exc:
                errors.append({"line": line, "reason": str(exc)})
                if len(errors) >= MAX_ERRORS:
                    break
            line = reader.line_num + 1
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "reason": f"malformed CSV: {exc}"})
    if errors:
        failure = ImportFailed(name, errors[0]["line"], errors[0]["reason"])
        failure.detail["errors"] = errors
        raise failure
    if not items:
        raise ImportFailed(name, None, "no rows")
    return items, lines


def import_csv(session: Session, org_id: int, path: Path, source: str, now: datetime | None = None,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a whole file in the caller's transaction (all or nothing), texts whole (the analysis reads their
    beginning); ``progress`` is called with the number of rows stored after each chunk."""
    items, lines = read_items(path.name, path.read_bytes(), source)
    report = ImportReport(file=path.name, rows=len(items))
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        try:
            result: FeedbackResult = feedback.add_feedback(session, org_id, chunk, now or utcnow())
        except feedback.BadItem as exc:
            raise ImportFailed(path.name, lines[start + exc.index], exc.reason) from exc
        report.accepted += result.accepted
        report.duplicates += result.duplicates
        if progress is not None:
            progress(len(chunk))
    return report


def count_rows(path: Path) -> int:
    """About how many rows a file holds (lines after the header; for the progress bar only)."""
    try:
        with path.open("rb") as handle:
            return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1)
    except OSError:
        return 0
