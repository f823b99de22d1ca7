"""Import an event-log file (CSV or XES) into one organization, all or nothing.

The file is read as a stream and handed to the ingestion service in chunks of a few thousand events, inside a
savepoint of the caller's transaction: a bad row anywhere (reported as ``FILE:LINE: reason``) undoes the chunks
already written, and the caller's commit makes the whole file visible at once. Re-importing a file adds nothing,
because message ids are derived from the events themselves. Never commits.

A first import of an XES log takes a faster road when it can: the file is read whole by the Rust reader
(:mod:`.importers.xes_frame`) and its brand-new cases are written in bulk (:mod:`momentos.imports.bulk`), with the
same result. Anything that road does not handle — a bad event, a case or event already stored, events one of the
reactions to stored events reacts to (status notices, surveys, promises, survey scores) — sends the file down the
streaming road, which also names the bad line. Both roads hand the file's events to the ``reactions`` the caller
passes (``momentos.bootstrap.reactions()``).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.errors import ImportFailed, ValidationFailed
from momentos.events.reactions import Reaction
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.imports import bulk
from momentos.imports.readers import (
    ByteStream,
    EventBuilder,
    FileFormat,
    ImportOptions,
    OpenedFile,
    Record,
    detect_format,
    open_log,
)
from momentos.imports.readers.csv_reader import read_csv
from momentos.imports.readers.xes_frame import start_read
from momentos.imports.readers.xes_reader import read_xes
from momentos.models import Service

Progress = Callable[[int, int], None]
"""Called with (bytes of the file read so far, file size) after every chunk."""

READERS: dict[FileFormat, Callable[[ByteStream, str, ImportOptions], Iterator[Record]]] = {
    "csv": read_csv, "xes": read_xes}
NO_SERVICE_NOTE = ("the organization has no services, so the events were stored without a process; to follow each "
                   "case as a process, create a service first and import with --service KEY")
ROUTED_NOTE = ("no --service given: each event went to the service whose touchpoints name its activity, and events "
               "that matched none were stored without a process")


class ImportReport(BaseModel):
    """What an import did: events read from the file, accepted, already there, distinct cases, time taken."""

    file: str
    format: FileFormat
    service: str | None = None
    events_read: int = 0
    skipped_lifecycle: int = 0
    accepted: int = 0
    duplicates: int = 0
    dropped_erased: int = 0
    cases: int = 0
    seconds: float = 0.0
    note: str | None = None
    bulk: bool = False
    """Whether the file took the bulk road (a first import of brand-new cases)."""
    file_size: int = Field(default=0, exclude=True)


def import_file(session: Session, org_id: int, path: Path | str, options: ImportOptions,
                progress: Progress | None = None, *, reactions: Sequence[Reaction]) -> ImportReport:
    """Import the events of the file at ``path`` into organization ``org_id``; atomic, never commits.

    Raises ImportFailed (file, line, reason) for a bad record and ValidationFailed for an unknown service;
    in both cases nothing of the file is left in the session's transaction.
    """
    path = Path(path)
    name = str(path)
    report = ImportReport(file=name, format=detect_format(path, options.format), service=options.service)
    report.note = _service_note(session, org_id, options.service)
    started = time.perf_counter()
    with session.begin_nested():
        if report.format != "xes" or not _import_in_bulk(session, org_id, path, report, options, reactions):
            with open_log(path) as opened:
                _import_stream(session, org_id, opened, report, options, progress, reactions)
    if progress is not None:
        progress(report.file_size, report.file_size)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _service_note(session: Session, org_id: int, service: str | None) -> str | None:
    """Check ``--service``; say what happens to processes when it is not given."""
    keys = set(session.scalars(select(Service.key).where(Service.org_id == org_id)))
    if service is not None:
        if service not in keys:
            raise ValidationFailed(f"Unknown service '{service}'.", code="unknown_service",
                                   detail={"service": service, "services": sorted(keys)})
        return None
    if not keys:
        return NO_SERVICE_NOTE
    return ROUTED_NOTE if len(keys) > 1 else None


def _import_stream(session: Session, org_id: int, opened: OpenedFile, report: ImportReport,
                   options: ImportOptions, progress: Progress | None, reactions: Sequence[Reaction]) -> None:
    builder = EventBuilder(report.file, options)
    chunk: list[EventIn] = []
    lines: list[int] = []
    try:
        for record in READERS[report.format](opened.stream, report.file, options):
            report.events_read += 1
            if not builder.keeps(record):
                report.skipped_lifecycle += 1
                continue
            chunk.append(builder.build(record))
            lines.append(record.line)
            if len(chunk) >= options.chunk_size:
                _ingest_chunk(session, org_id, chunk, lines, report, reactions)
                chunk, lines = [], []
                if progress is not None:
                    progress(opened.position(), opened.size)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFailed(report.file, None, f"cannot read the file: {exc}") from exc
    _ingest_chunk(session, org_id, chunk, lines, report, reactions)
    report.cases = len(builder.cases)
    report.file_size = opened.size


def _import_in_bulk(session: Session, org_id: int, path: Path, report: ImportReport, options: ImportOptions,
                    reactions: Sequence[Reaction]) -> bool:
    """The bulk road; False (nothing written) when it does not apply."""
    read = start_read(path, options)
    if read is None:
        return False
    try:
        with session.begin_nested():
            try:
                log = bulk.events_of(read.frame, options)
                result = bulk.ingest_new_cases(session, org_id, log, source=report.format, service=options.service,
                                               reactions=reactions)
            except bulk.BulkDeclined:
                raise  # no need to wait for the file's check
            except Exception:
                if not read.confirmed():  # the frame came from a file the streaming reader must judge
                    raise bulk.BulkDeclined("the file needs the streaming reader") from None
                raise
            if not read.confirmed():  # the file's check ran meanwhile: its rows are undone
                raise bulk.BulkDeclined("the file needs the streaming reader")
    except bulk.BulkDeclined:
        return False
    finally:
        read.cancel()
    report.events_read, report.skipped_lifecycle = read.frame.height, log.skipped
    report.accepted, report.dropped_erased = result.accepted, result.dropped_erased
    report.cases = log.frame["case"].n_unique()
    report.file_size, report.bulk = path.stat().st_size, True
    return True


def _ingest_chunk(session: Session, org_id: int, chunk: list[EventIn], lines: list[int],
                  report: ImportReport, reactions: Sequence[Reaction]) -> None:
    """Hand one chunk to the ingestion service; its errors are reported with the line of the offending event."""
    if not chunk:
        return
    try:
        result = ingest(session, org_id, Batch(events=chunk), source=report.format, reactions=reactions)
    except ValidationFailed as exc:
        index = exc.detail.get("index") if isinstance(exc.detail, dict) else None
        line = lines[index] if isinstance(index, int) and 0 <= index < len(lines) else None
        raise ImportFailed(report.file, line, exc.message) from exc
    report.accepted += result.accepted
    report.duplicates += result.duplicates
    report.dropped_erased += result.dropped_erased
