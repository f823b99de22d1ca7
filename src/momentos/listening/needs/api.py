"""Thin routes of needs: the ranked list, renaming or marking addressed, merging."""

from __future__ import annotations

from fastapi import APIRouter, Query

from momentos.auth.deps import Admin, DbSession
from momentos.kit.clock import utcnow
from momentos.kit.params import BigInt
from momentos.listening.needs import service as needs
from momentos.listening.needs.schemas import NeedMerge, NeedRead, NeedUpdate

router = APIRouter(prefix="/api/v1", tags=["listening"])


@router.get("/needs")
def list_needs(p: Admin, session: DbSession, addressed: bool = False,
               limit: int = Query(50, ge=1, le=500)) -> list[NeedRead]:
    return needs.ranked(session, p.org_id, utcnow(), include_addressed=addressed, limit=limit)


def _need_read(session: DbSession, org_id: int, need_id: int) -> NeedRead:
    return needs.read_need(session, org_id, need_id, utcnow())


@router.patch("/needs/{need_id}")
def update_need(need_id: BigInt, data: NeedUpdate, p: Admin, session: DbSession) -> NeedRead:
    needs.update_need(session, p.org_id, need_id, data, utcnow(), actor=p.actor)
    return _need_read(session, p.org_id, need_id)


@router.post("/needs/{need_id}/merge")
def merge_need(need_id: BigInt, data: NeedMerge, p: Admin, session: DbSession) -> NeedRead:
    target = needs.merge(session, p.org_id, need_id, data.into, utcnow(), actor=p.actor)
    return _need_read(session, p.org_id, target.id)
