"""Operations: the health of the background work (workers and this organization's queues), the notification outbox
by status with replay of dead (or suppressed) notifications, and the import history with an upload form.

Analysts read everything; owners and managers also replay and upload (others get 403).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from momentos.auth.deps import DbSession
from momentos.catalog import service as catalog
from momentos.config import Settings
from momentos.dashboard import ops
from momentos.db import unit_of_work
from momentos.errors import BadRequest
from momentos.imports import history as import_history
from momentos.imports.readers import ImportOptions
from momentos.kit.clock import utcnow
from momentos.kit.params import BIGINT_MAX, BigInt
from momentos.ops import health
from momentos.web.access import Operator, Reader, require
from momentos.web.rendering import Pages, PagesDep, Viewer
from momentos.web.session import csrf_ok, signed_in

router = APIRouter()
UPLOAD_SUFFIXES = (".csv", ".xes", ".csv.gz", ".xes.gz")
FORM_OVERHEAD = 64 * 1024
"""Room for the multipart framing and the other fields on top of the file's own size limit."""


class UploadTooLarge(Exception):
    """The uploaded file is over the limit (found while copying it)."""


def _int(value: str | None, default: int | None) -> int | None:
    """A page's integer parameter; anything else, or beyond a BIGINT, is the default."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 19 or int(value) > BIGINT_MAX:
        return default
    return int(value)


def _render(request: Request, viewer: Viewer, session: Session, pages: Pages, *, status: str = "dead",
            page: int = 1, imports_page: int = 1, imported: int | None = None, upload_error: str | None = None,
            replayed: int | None = None, http_status: int = 200) -> Response:
    status = status if status in ops.STATUSES else "dead"
    settings: Settings = request.app.state.settings
    return pages.render(request, "ops.html", {
        "counts": ops.counts(session, viewer.org_id), "status": status, "replayed": replayed,
        "notifications": ops.notifications_page(session, viewer.org_id, status, page), "replayable": ops.REPLAYABLE,
        "health": health.check(session, viewer.org_id, utcnow()),
        "imports": ops.imports_page(session, viewer.org_id, imports_page),
        "imported": import_history.get_import(session, viewer.org_id, imported) if imported else None,
        "services": catalog.list_services(session, viewer.org_id) if viewer.can("operate") else [],
        "upload_error": upload_error, "max_upload_mb": round(settings.ingest.max_upload_bytes / 2**20, 1)},
        viewer=viewer, status=http_status)


@router.get("/ops", name="ops")
def ops_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep, status: str = "dead",
             page: str | None = None, imports_page: str | None = None, imported: str | None = None,
             replayed: str | None = None) -> Response:
    return _render(request, viewer, session, pages, status=status, page=_int(page, 1) or 1,
                   imports_page=_int(imports_page, 1) or 1, imported=_int(imported, None),
                   replayed=_int(replayed, None))


@router.post("/ops/notifications/replay-all", name="replay_all")
def replay_all(request: Request, viewer: Operator, session: DbSession, csrf: Annotated[str, Form()] = "",
               status: Annotated[str, Form(max_length=16)] = "dead") -> Response:
    """Replay every notification of the shown status (dead or suppressed), in bounded batches; each replay is in
    the audit log."""
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    if status not in ops.REPLAYABLE:
        raise BadRequest("Only dead or suppressed notifications can be replayed.", code="not_replayable",
                         detail={"status": status})
    n = ops.replay_all(session, viewer.org_id, status, utcnow(), actor=viewer.actor)
    return RedirectResponse(f"/ops?status={status}&replayed={n}", status_code=303)


@router.post("/ops/notifications/{notification_id}/replay", name="replay")
def replay(notification_id: BigInt, request: Request, viewer: Operator, session: DbSession,
           csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request, csrf):
        raise BadRequest("The form expired.", code="csrf_failed")
    n = ops.replay(session, viewer.org_id, notification_id, utcnow(), actor=viewer.actor)
    return RedirectResponse(f"/ops?status={n.status}", status_code=303)


def _uploader(request: Request) -> Viewer:
    """An owner or manager, checked in a unit of work of its own that ends before the (maybe slow) body arrives:
    on SQLite an open transaction may hold the single write lock. The upload route has no request transaction."""
    with unit_of_work(request.app.state.session_factory) as session:
        return require("operate")(signed_in(request, session))


Uploader = Annotated[Viewer, Depends(_uploader)]


def _render_alone(request: Request, viewer: Viewer, pages: Pages, *, upload_error: str | None,
                  http_status: int) -> Response:
    """The page with an upload error, read in a unit of work of its own (the upload route has none)."""
    with unit_of_work(request.app.state.session_factory) as session:
        return _render(request, viewer, session, pages, upload_error=upload_error, http_status=http_status)


@router.post("/ops/imports", name="ops_import")
async def upload(request: Request, viewer: Uploader, pages: PagesDep) -> Response:
    """Import an uploaded CSV or XES file through the same path as ``momentos import``; the result lands in the
    import history. The size is checked before the body is read (Content-Length) and again while copying it.

    No transaction is open while the body arrives; the import and its history row are then one unit of work
    (``imports.history.run_import``, as for the command line), committed before the redirect."""
    settings: Settings = request.app.state.settings
    limit = settings.ingest.max_upload_bytes
    declared = _int(request.headers.get("content-length"), None)
    if declared is None or declared > limit + FORM_OVERHEAD:
        return await run_in_threadpool(_render_alone, request, viewer, pages, upload_error="too_large",
                                       http_status=413)
    async with request.form(max_files=1, max_fields=4) as form:
        if not csrf_ok(request, str(form.get("csrf") or "")):
            raise BadRequest("The form expired.", code="csrf_failed")
        upload_file, service = form.get("file"), str(form.get("service") or "").strip()[:64] or None
        problem = _upload_problem(upload_file)
        if problem is not None or not isinstance(upload_file, UploadFile):
            return await run_in_threadpool(_render_alone, request, viewer, pages, upload_error=problem,
                                           http_status=400)
        try:
            outcome = await run_in_threadpool(_import, request, viewer, upload_file, service, limit)
        except UploadTooLarge:
            return await run_in_threadpool(_render_alone, request, viewer, pages, upload_error="too_large",
                                           http_status=413)
    return RedirectResponse(f"/ops?imported={outcome.record.id}#imports", status_code=303)


def _upload_problem(value: Any) -> str | None:
    if not isinstance(value, UploadFile) or not value.filename:
        return "no_file"
    if not value.filename.lower().endswith(UPLOAD_SUFFIXES):
        return "file_type"
    return None


def _suffix(name: str) -> str:
    return next(s for s in sorted(UPLOAD_SUFFIXES, key=len, reverse=True) if name.lower().endswith(s))


def _copy(source: IO[bytes], target: Path, limit: int) -> None:
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            if out.tell() + len(chunk) > limit:
                raise UploadTooLarge
            out.write(chunk)


def _import(request: Request, viewer: Viewer, upload_file: UploadFile, service: str | None,
            limit: int) -> import_history.Outcome:
    name = Path((upload_file.filename or "").replace("\\", "/")).name
    actor = import_history.Actor("user", viewer.email) if viewer.email else import_history.Actor("admin_key")
    with tempfile.TemporaryDirectory(prefix="momentos-upload-") as folder:
        path = Path(folder) / f"upload{_suffix(name)}"  # never the client's name on disk
        _copy(upload_file.file, path, limit)
        return import_history.run_import(request.app.state.session_factory, viewer.org_id, path,
                                         ImportOptions(service=service), actor,
                                         reactions=request.app.state.wiring.reactions, file_name=name)

