"""Thin routes: a customer's data exported whole, and their erasure (admin key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from momentos.auth.deps import Admin, DbSession, writes
from momentos.privacy import export
from momentos.privacy import service as privacy

router = APIRouter(prefix="/api/v1", tags=["customers"])


@router.get("/customers/{external_id}/export")
@writes  # the audit entry of the export is written in the request's transaction
def export_customer(external_id: str, p: Admin, session: DbSession) -> dict[str, Any]:
    """Everything stored about the customer, as one JSON document (the right of access); recorded in the audit
    log."""
    return export.export_customer(session, p.org_id, external_id, p.actor)


@router.delete("/customers/{external_id}", status_code=204)
def erase_customer(external_id: str, p: Admin, session: DbSession) -> Response:
    privacy.erase_customer(session, p.org_id, external_id, p.actor)
    return Response(status_code=204)
