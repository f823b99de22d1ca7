"""The native JSON door: ``POST /api/v1/events`` with events and identifies in Momentos's own shape."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from momentos.auth.deps import DbSession, Writer
from momentos.config import Settings
from momentos.doors.body import parse_json, read_raw
from momentos.doors.ratelimit import check_rate
from momentos.doors.wiring import reactions, time_window
from momentos.errors import ValidationFailed, pydantic_detail
from momentos.events import service as events
from momentos.events.schemas import Batch, IngestResult, NativeBatch
from momentos.kit.clock import utcnow

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post("/events")
async def ingest_native(request: Request, p: Writer, session: DbSession) -> IngestResult:
    """A batch of events and profile updates in Momentos's own JSON shape; all or nothing."""
    settings: Settings = request.app.state.settings
    check_rate(request, p)
    body = await read_raw(request, settings.ingest, settings.ingest.max_decompressed_bytes)
    try:
        native = NativeBatch.model_validate(parse_json(body))
    except ValidationError as exc:
        raise ValidationFailed(detail=pydantic_detail(exc)) from exc
    batch = Batch(events=native.events, identifies=native.identifies)
    received_at = utcnow()
    return await run_in_threadpool(events.ingest, session, p.org_id, batch, source="api",
                                   reactions=reactions(request), received_at=received_at,
                                   window=time_window(request, received_at))
