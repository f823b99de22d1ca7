"""Thin routes: the health of the organization's background work, the replay of every dead (or suppressed)
notification, and the import history (admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from momentos.auth.deps import Admin, DbSession
from momentos.imports import history as import_history
from momentos.kit.clock import utcnow
from momentos.kit.params import BigInt
from momentos.notify import outbox
from momentos.ops import health
from momentos.ops.schemas import Health, ImportRead, ReplayAllIn, ReplayAllRead

router = APIRouter(prefix="/api/v1", tags=["ops"])


@router.get("/ops/health")
def ops_health(p: Admin, session: DbSession) -> Health:
    """Workers (global) and this organization's queues; always 200, with ``warnings`` when work is stuck."""
    return health.check(session, p.org_id, utcnow())


@router.post("/ops/notifications/replay")
def replay_all(data: ReplayAllIn, p: Admin, session: DbSession) -> ReplayAllRead:
    """Queue again every notification in ``status`` (dead by default, or suppressed), in bounded batches; each
    replay is in the audit log."""
    return ReplayAllRead(status=data.status, replayed=outbox.replay_all(session, p.org_id, data.status, utcnow(),
                                                                        actor=p.actor))


@router.get("/imports")
def list_imports(p: Admin, session: DbSession, limit: int = Query(50, ge=1, le=500),
                 before: BigInt | None = None) -> list[ImportRead]:
    """File imports, newest first; page with ``before`` = the last id seen."""
    return [ImportRead.model_validate(r, from_attributes=True)
            for r in import_history.list_imports(session, p.org_id, limit=limit, before=before)]
