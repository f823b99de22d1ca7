"""Thin routes: the health of the organization's background work, and its import history (admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from momentos.auth.deps import Admin, DbSession
from momentos.imports import history as import_history
from momentos.kit.clock import utcnow
from momentos.kit.params import BigInt
from momentos.ops import health
from momentos.ops.schemas import Health, ImportRead

router = APIRouter(prefix="/api/v1", tags=["ops"])


@router.get("/ops/health")
def ops_health(p: Admin, session: DbSession) -> Health:
    """Workers (global) and this organization's queues; always 200, with ``warnings`` when work is stuck."""
    return health.check(session, p.org_id, utcnow())


@router.get("/imports")
def list_imports(p: Admin, session: DbSession, limit: int = Query(50, ge=1, le=500),
                 before: BigInt | None = None) -> list[ImportRead]:
    """File imports, newest first; page with ``before`` = the last id seen."""
    return [ImportRead.model_validate(r, from_attributes=True)
            for r in import_history.list_imports(session, p.org_id, limit=limit, before=before)]
