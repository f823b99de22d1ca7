"""Thin routes for an organization's API keys (admin key only): list, create (the secret is shown once), revoke,
rotate with a grace period. The service is ``orgs.keys``; these routes live here because ``orgs`` sits below
``auth`` (which names the caller) in the layers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from momentos.auth.deps import Admin, DbSession
from momentos.kit.clock import utcnow
from momentos.orgs import keys
from momentos.orgs.schemas import KeyCreate, KeyIssued, KeyRead, KeyRotate, KeyRotated

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
KeyId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("")
def list_keys(p: Admin, session: DbSession) -> list[KeyRead]:
    """Every key of the organization with its state; never a secret."""
    now = utcnow()
    return [keys.key_read(k, now) for k in keys.list_keys(session, p.org_id)]


@router.post("", status_code=201)
def create_key(p: Admin, session: DbSession, data: KeyCreate) -> KeyIssued:
    """A new write or admin key; ``key`` is the secret, shown in this answer only."""
    now = utcnow()
    key, secret = keys.create_key(session, p.org_id, data, p.actor, now)
    return KeyIssued(**keys.key_read(key, now).model_dump(), key=secret)


@router.delete("/{key_id}")
def revoke_key(p: Admin, session: DbSession, key_id: KeyId) -> KeyRead:
    """Revoke a key: refused from the next request on (409 ``last_admin_key`` for the last lasting admin key)."""
    now = utcnow()
    return keys.key_read(keys.revoke_key(session, p.org_id, key_id, p.actor, now), now)


@router.post("/{key_id}/rotate", status_code=201)
def rotate_key(p: Admin, session: DbSession, key_id: KeyId, data: KeyRotate | None = None) -> KeyRotated:
    """A new key of the same kind; the old one works for ``grace_seconds`` more (0, the default: ends now)."""
    now = utcnow()
    fresh, secret, old = keys.rotate_key(session, p.org_id, key_id, (data or KeyRotate()).grace_seconds, p.actor,
                                         now)
    return KeyRotated(**keys.key_read(fresh, now).model_dump(), key=secret, replaces=keys.key_read(old, now))
