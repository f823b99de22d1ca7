"""Thin routes: erasure of a customer (admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from momentos.auth.deps import Admin, DbSession
from momentos.privacy import service as privacy

router = APIRouter(prefix="/api/v1", tags=["customers"])


@router.delete("/customers/{external_id}", status_code=204)
def erase_customer(external_id: str, p: Admin, session: DbSession) -> Response:
    privacy.erase_customer(session, p.org_id, external_id)
    return Response(status_code=204)
