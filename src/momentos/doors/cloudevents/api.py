"""The CloudEvents 1.0 door: ``POST /api/v1/cloudevents`` in structured, batched or binary HTTP mode.

Auth is a write (or admin) key, as for the native API. Success is **200** with the ``IngestResult`` (how many
events were accepted and how many were duplicates): a CloudEvents sender treats any 2xx as delivered, and a replay
of the same ``(source, id)`` is answered 200 again and counted as a duplicate. Bad input is 400 (the answer senders
such as webhooks and brokers do not retry), including an unknown moment or service; too large is 413; throttled is
429 with ``Retry-After``. A request is all or nothing.

How events map onto Momentos events is described in ``momentos.doors.cloudevents.mapping``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession, Writer
from momentos.config import Settings
from momentos.doors.body import read_raw
from momentos.doors.cloudevents import mapping as cloudevents
from momentos.doors.ratelimit import check_rate
from momentos.doors.wiring import reactions, time_window
from momentos.errors import BadRequest, ValidationFailed
from momentos.events import service as events
from momentos.events.reactions import Reaction
from momentos.events.schemas import Batch, IngestResult
from momentos.kit.clock import utcnow
from momentos.kit.event_time import TimeWindow

router = APIRouter(prefix="/api/v1", tags=["events"])
SOURCE = "cloudevents"


@router.post("/cloudevents")
async def ingest_cloudevents(request: Request, p: Writer, session: DbSession) -> IngestResult:
    """One event (structured or binary mode) or a batch of events; all or nothing."""
    settings: Settings = request.app.state.settings
    check_rate(request, p)
    body = await read_raw(request, settings.ingest, settings.ingest.max_batch_bytes)
    received_at = utcnow()
    batch, positions = cloudevents.to_batch(request.headers, body, received_at=received_at,
                                            max_event_bytes=settings.ingest.max_event_bytes)
    return await run_in_threadpool(ingest, session, p.org_id, batch, positions, received_at, reactions(request),
                                   time_window(request, received_at))


def ingest(session: Session, org_id: int, batch: Batch, positions: list[int], received_at: datetime,
           reacting: Sequence[Reaction], window: TimeWindow | None = None) -> IngestResult:
    """Run the ingestion service; its validation errors (unknown moment or service) become 400s naming the event's
    index in the request."""
    try:
        return events.ingest(session, org_id, batch, source=SOURCE, reactions=reacting, received_at=received_at,
                             window=window)
    except ValidationFailed as exc:
        detail = exc.detail
        if isinstance(detail, dict) and isinstance(detail.get("index"), int):
            detail = {**detail, "index": positions[detail["index"]]}
        raise BadRequest(exc.message, code=exc.code, detail=detail) from exc
