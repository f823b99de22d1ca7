"""The Segment HTTP API door: ``/v1/batch``, ``/v1/import`` and the single-message endpoints.

What real Segment and RudderStack clients rely on:

- the write key comes as the Basic-auth user (or ``Authorization: Bearer``); without that header, the body's
  ``writeKey`` is used. A bad key or no key is 401.
- success is exactly **200** with ``{"success": true}``: clients resend on anything else, and the resend is harmless
  because events are deduplicated by message id.
- bad input is 400 (malformed JSON, wrong types, unknown moment or service: clients do not resend a 400), a request
  over ``max_batch_bytes`` (after gzip) or a message over ``max_event_bytes`` is 413, throttling is 429 with
  ``Retry-After``. A request is all or nothing.

How messages map onto events and profiles is described in ``momentos.doors.segment.mapping``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from momentos.auth.deps import DbSession, key_from_request, principal_for
from momentos.config import Settings
from momentos.customers.schemas import IngestWarning
from momentos.doors.body import parse_json, read_raw
from momentos.doors.ratelimit import check_rate
from momentos.doors.segment import mapping as segment
from momentos.doors.wiring import reactions, time_window
from momentos.errors import BadRequest, ValidationFailed
from momentos.events import service as events
from momentos.events.reactions import Reaction
from momentos.events.schemas import IngestResult
from momentos.kit.clock import utcnow
from momentos.kit.event_time import TimeWindow
from momentos.orgs.service import Principal

router = APIRouter(prefix="/v1", tags=["segment"])
SOURCE = "segment"


class SegmentAck(BaseModel):
    """Segment's own success answer, with what was accepted but not applied (``IngestResult.warnings``: refused
    traits, unknown consent categories); clients read only ``success``."""

    success: bool = True
    warnings: list[IngestWarning] = Field(default_factory=list, exclude_if=lambda v: not v)
    """Present only when there is something to say (the answer is otherwise exactly ``{"success": true}``)."""


def header_principal(request: Request, session: DbSession) -> Principal | None:
    """The caller named by the Authorization header (401 if it names a bad key); None without one."""
    key = key_from_request(request)
    return principal_for(session, key) if key else None


HeaderPrincipal = Annotated[Principal | None, Depends(header_principal)]


@router.post("/batch")
async def batch(request: Request, principal: HeaderPrincipal, session: DbSession) -> SegmentAck:
    """A batch of messages of any type; all or nothing."""
    return await accept(request, principal, session, kind=None)


@router.post("/import")
async def import_(request: Request, principal: HeaderPrincipal, session: DbSession) -> SegmentAck:
    """Segment's historical import: the same as ``/v1/batch``."""
    return await accept(request, principal, session, kind=None)


def _single(kind: str) -> Callable[[Request, Principal | None, Session], Awaitable[SegmentAck]]:
    async def endpoint(request: Request, principal: HeaderPrincipal, session: DbSession) -> SegmentAck:
        return await accept(request, principal, session, kind=kind)

    endpoint.__name__ = f"segment_{kind}"
    endpoint.__doc__ = f"One Segment '{kind}' message."
    return endpoint


for _kind in segment.MESSAGE_TYPES:
    router.add_api_route(f"/{_kind}", _single(_kind), methods=["POST"], response_model=SegmentAck)


async def accept(request: Request, principal: Principal | None, session: Session, *, kind: str | None) -> SegmentAck:
    settings: Settings = request.app.state.settings
    if principal is not None:
        check_rate(request, principal)
    body = await read_raw(request, settings.ingest, settings.ingest.max_batch_bytes)
    payload = parse_json(body)
    if principal is None:
        principal = await run_in_threadpool(principal_for, session, segment.write_key_of(payload))
        check_rate(request, principal)
    received_at = utcnow()
    mapped = segment.to_batch(payload, kind=kind, received_at=received_at,
                              max_event_bytes=settings.ingest.max_event_bytes)
    result = await run_in_threadpool(ingest, session, principal.org_id, mapped, received_at, reactions(request),
                                     time_window(request, received_at))
    return SegmentAck(warnings=result.warnings)


def ingest(session: Session, org_id: int, mapped: segment.Mapped, received_at: datetime,
           reacting: Sequence[Reaction], window: TimeWindow | None = None) -> IngestResult:
    """Run the ingestion service; its validation errors become 400s naming the message's index in the request."""
    try:
        return events.ingest(session, org_id, mapped.batch, source=SOURCE, reactions=reacting,
                             received_at=received_at, window=window)
    except ValidationFailed as exc:
        detail = exc.detail
        if isinstance(detail, dict) and isinstance(detail.get("index"), int):
            detail = {**detail, "index": mapped.event_positions[detail["index"]]}
        raise BadRequest(exc.message, code=exc.code, detail=detail) from exc
