"""The history of file imports: every call of ``file_import.import_file`` made by the CLI or the operations page goes
through ``run_import``, which records it in ``imports`` — ok with its counts, or failed with ``FILE:LINE: reason``.

``run_import`` owns its transactions (like a worker task): the import and its ``ok`` row commit together; after a
failure the import's transaction is rolled back first — nothing of the file stays — and the ``failed`` row is then
written in a transaction of its own, so it is kept although the import was undone. Once an import that added
events is committed, the analytics refresh job runs for its organization (a transaction of its own; the job stays
the only writer of the aggregates), so the first answer after an import reads caught-up aggregates even when no
worker runs; if that refresh fails, the import stays ok and the worker refreshes later. Because SQLite has one writer,
the caller must not hold a write transaction on another connection while calling it. The import's internals stay
behind ``import_file``: this module only sees its report and its errors.
"""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from momentos.analytics import tasks as analytics_tasks
from momentos.audit import service as audit_log
from momentos.db import unit_of_work
from momentos.errors import ImportFailed, MomentosError
from momentos.events.reactions import Reaction
from momentos.imports.readers import ImportOptions, detect_format
from momentos.imports.service import ImportReport, Progress, import_file
from momentos.kit.clock import utcnow
from momentos.models import ImportRecord

ERROR_CHARS = 2000
log = logging.getLogger("momentos.imports")


@dataclass(frozen=True)
class Actor:
    """Who ran an import: ``cli`` (the operating-system user), ``user`` (an e-mail) or ``admin_key``."""

    kind: str
    name: str | None = None

    @property
    def audit(self) -> audit_log.Actor:
        """The same actor in the audit log."""
        if self.kind == "user" and self.name:
            return audit_log.Actor.user(self.name)
        if self.kind == "admin_key":
            return audit_log.Actor.key(None, "admin key (pages)")
        return audit_log.Actor.cli(f"command line ({self.name})" if self.name else "command line")

    @classmethod
    def command_line(cls) -> Actor:
        try:
            return cls("cli", getpass.getuser()[:255] or None)
        except (KeyError, OSError):  # no passwd entry (some containers)
            return cls("cli")


@dataclass(frozen=True)
class Outcome:
    """A recorded import: its history row, and the report (ok) or the error (failed, nothing imported)."""

    record: ImportRecord
    report: ImportReport | None
    error: MomentosError | None


def run_import(factory: sessionmaker[Session], org_id: int, path: Path, options: ImportOptions, actor: Actor, *,
               reactions: Sequence[Reaction], file_name: str | None = None,
               progress: Progress | None = None) -> Outcome:
    """Import the file and record it. A domain error (a bad row, an unknown service) is recorded and returned;
    any other error is recorded and raised. ``file_name`` is what the history (and the error text) calls the file
    (default: the path's base name); ``reactions`` are handed the stored events (``momentos.bootstrap``)."""
    name = Path(file_name or path.name).name[:255] or "-"
    base = {"org_id": org_id, "file_name": name, "format": _format(path, options), "service": options.service,
            "actor_kind": actor.kind, "actor": actor.name, "started_at": utcnow()}
    started = time.perf_counter()
    try:
        with unit_of_work(factory) as session:
            report = import_file(session, org_id, path, options, progress, reactions=reactions)
            record = ImportRecord(**{**base, **_counts(report)}, status="ok", finished_at=utcnow())
            session.add(record)
            _audit(session, record, actor)
    except MomentosError as exc:
        return Outcome(_failed(factory, base, _error_text(exc, name), started, actor), None, exc)
    except Exception as exc:
        _failed(factory, base, _error_text(exc, name), started, actor)
        raise
    if report.accepted:
        _refresh_analytics(factory, org_id)
    return Outcome(record, report, None)


def _refresh_analytics(factory: sessionmaker[Session], org_id: int) -> None:
    """Run the analytics refresh job for the organization after its import committed. A failure leaves the import
    as it is (committed and recorded ok): answers stay exact without it, and the worker's next round refreshes."""
    try:
        analytics_tasks.refresh_organization(factory, org_id)
    except DBAPIError as exc:
        log.warning("analytics refresh after the import of organization %s failed: %s", org_id, exc.orig)


def list_imports(session: Session, org_id: int, *, limit: int = 20, offset: int = 0,
                 before: int | None = None) -> list[ImportRecord]:
    """The organization's imports, newest first (``before``: only those with a smaller id)."""
    stmt = select(ImportRecord).where(ImportRecord.org_id == org_id)
    if before is not None:
        stmt = stmt.where(ImportRecord.id < before)
    return list(session.scalars(stmt.order_by(ImportRecord.id.desc()).offset(offset).limit(limit)))


def count_imports(session: Session, org_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportRecord)
                              .where(ImportRecord.org_id == org_id)) or 0)


def get_import(session: Session, org_id: int, import_id: int) -> ImportRecord | None:
    record = session.get(ImportRecord, import_id)
    return record if record is not None and record.org_id == org_id else None


def _format(path: Path, options: ImportOptions) -> str | None:
    try:
        return detect_format(path, options.format)
    except ImportFailed:
        return None


def _counts(report: ImportReport) -> dict[str, object]:
    return {"format": report.format, "events_read": report.events_read, "accepted": report.accepted,
            "duplicates": report.duplicates, "skipped": report.skipped_lifecycle,
            "dropped_erased": report.dropped_erased, "cases": report.cases, "seconds": report.seconds}


def _audit(session: Session, record: ImportRecord, actor: Actor) -> None:
    """Who imported which file, in the audit log (in the transaction of the history row)."""
    session.flush()
    audit_log.record(session, record.org_id, actor.audit, "import.run", f"import:{record.id}",
                     after={"file_name": record.file_name, "format": record.format, "service": record.service,
                            "status": record.status, "accepted": record.accepted, "events_read": record.events_read})


def _failed(factory: sessionmaker[Session], base: dict[str, object], error: str, started: float,
            actor: Actor) -> ImportRecord:
    """The failure row, in its own transaction (the import's was rolled back and its connection released)."""
    record = ImportRecord(**base, status="failed", error=error[:ERROR_CHARS], events_read=0, accepted=0,
                          duplicates=0, skipped=0, dropped_erased=0, cases=0,
                          seconds=round(time.perf_counter() - started, 3), finished_at=utcnow())
    with unit_of_work(factory) as session:
        session.add(record)
        _audit(session, record, actor)
    return record


def _error_text(exc: BaseException, name: str) -> str:
    """``FILE:LINE: reason`` with the file's own name (never a temporary path) for a bad row; else the message."""
    if isinstance(exc, ImportFailed):
        return f"{name}:{exc.line if exc.line is not None else '-'}: {exc.reason}"
    if isinstance(exc, MomentosError):
        return exc.message
    if isinstance(exc, DBAPIError):
        return f"database error: {exc.orig}"
    return f"internal error: {type(exc).__name__}"

