"""Thin routes: define, read, change and remove customer segments; count and preview their members (admin key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from momentos.auth.deps import Admin, DbSession
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.segments.schemas import MemberRead, SegmentCreate, SegmentMembers, SegmentRead, SegmentUpdate

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])


@router.get("")
def list_segments(p: Admin, session: DbSession) -> list[SegmentRead]:
    return [SegmentRead.model_validate(s) for s in segments.list_segments(session, p.org_id)]


@router.post("", status_code=201)
def create_segment(p: Admin, session: DbSession, data: SegmentCreate) -> SegmentRead:
    return SegmentRead.model_validate(segments.create_segment(session, p.org_id, data, utcnow(), actor=p.actor))


@router.get("/{segment_key}")
def get_segment(p: Admin, session: DbSession, segment_key: str) -> SegmentRead:
    return SegmentRead.model_validate(segments.get_segment(session, p.org_id, segment_key))


@router.patch("/{segment_key}")
def update_segment(p: Admin, session: DbSession, segment_key: str, data: SegmentUpdate) -> SegmentRead:
    return SegmentRead.model_validate(segments.update_segment(session, p.org_id, segment_key, data, utcnow(),
                                                                actor=p.actor))


@router.delete("/{segment_key}", status_code=204)
def delete_segment(p: Admin, session: DbSession, segment_key: str) -> Response:
    segments.delete_segment(session, p.org_id, segment_key, actor=p.actor)
    return Response(status_code=204)


@router.get("/{segment_key}/members")
def members(p: Admin, session: DbSession, segment_key: str,
            limit: Annotated[int, Query(ge=0, le=500)] = segments.PREVIEW) -> SegmentMembers:
    """How many customers belong now, and the first ``limit`` of them by external id."""
    segment = segments.get_segment(session, p.org_id, segment_key)
    return SegmentMembers(key=segment.key, count=segments.count_members(session, p.org_id, segment),
                          members=[MemberRead.model_validate(c)
                                   for c in segments.preview(session, p.org_id, segment, limit)])
