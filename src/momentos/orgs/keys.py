"""An organization's API keys: list, create, revoke, rotate with a grace period. Takes a session; never commits.

A key works until it is revoked or its grace period ends (``orgs.service.authenticate_digest`` checks both on every
request, so a change takes effect on the next request, page sessions opened with an admin key included).
An organization always keeps one lasting admin key (not revoked, no expiry): revoking the last one is refused
(``last_admin_key``); rotating it (grace 0 ends the old one at once) replaces it in one step.

Every change is in the audit log (target ``api_key:<id>``); summaries name the kind, name, prefix and state,
never the secret or its digest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.errors import Conflict, NotFound
from momentos.models import ApiKey
from momentos.orgs.schemas import KeyCreate, KeyRead
from momentos.orgs.service import new_key


def key_state(key: ApiKey, now: datetime) -> str:
    """``revoked``, ``expired``, ``expiring`` (a rotated key in its grace period) or ``active``."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None:
        return "expired" if key.expires_at <= now else "expiring"
    return "active"


def key_read(key: ApiKey, now: datetime) -> KeyRead:
    return KeyRead(id=key.id, kind=key.kind, name=key.name, prefix=key.prefix, created_at=key.created_at,
                   revoked_at=key.revoked_at, expires_at=key.expires_at, state=key_state(key, now))


def _summary(key: ApiKey, now: datetime) -> dict[str, Any]:
    return {"kind": key.kind, "name": key.name, "prefix": key.prefix, "state": key_state(key, now),
            "expires_at": key.expires_at}


def list_keys(session: Session, org_id: int) -> list[ApiKey]:
    """Every key of the organization, revoked and expired ones included, oldest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.id)))


def get_key(session: Session, org_id: int, key_id: int) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == org_id))
    if key is None:
        raise NotFound("API key not found.", code="key_not_found", detail={"id": key_id})
    return key


def create_key(session: Session, org_id: int, data: KeyCreate, actor: Actor, now: datetime) -> tuple[ApiKey, str]:
    """A new key and its secret (shown once by the caller)."""
    key, secret = new_key(session, org_id, data.kind, data.name.strip())
    record(session, org_id, actor, "key.create", f"api_key:{key.id}", after=_summary(key, now))
    return key, secret


def _lasting_admin_keys(session: Session, org_id: int, excluding: int) -> int:
    return int(session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.org_id == org_id, ApiKey.kind == "admin", ApiKey.id != excluding, ApiKey.revoked_at.is_(None),
        ApiKey.expires_at.is_(None))) or 0)


def revoke_key(session: Session, org_id: int, key_id: int, actor: Actor, now: datetime) -> ApiKey:
    """Revoke a key from now on (again: nothing changes). The last lasting admin key cannot be revoked."""
    key = get_key(session, org_id, key_id)
    if key.revoked_at is not None:
        return key
    if key.kind == "admin" and _lasting_admin_keys(session, org_id, excluding=key.id) == 0:
        raise Conflict("This is the organization's last admin key: rotate it (a grace of 0 ends it at once) or "
                       "create another admin key first.", code="last_admin_key", detail={"id": key.id})
    before = _summary(key, now)
    key.revoked_at = now
    session.flush()
    record(session, org_id, actor, "key.revoke", f"api_key:{key.id}", before=before, after=_summary(key, now))
    return key


def rotate_key(session: Session, org_id: int, key_id: int, grace_seconds: int, actor: Actor,
               now: datetime) -> tuple[ApiKey, str, ApiKey]:
    """A new key of the same kind and name; the old one keeps working for ``grace_seconds`` (0: revoked now).
    Returns (new key, its secret, old key)."""
    old = get_key(session, org_id, key_id)
    state = key_state(old, now)
    if state in ("revoked", "expired"):
        raise Conflict(f"The key is {state}: create a new one instead.", code=f"key_{state}",
                       detail={"id": old.id})
    before = _summary(old, now)
    fresh, secret = new_key(session, org_id, old.kind, old.name)
    if grace_seconds <= 0:
        old.revoked_at = now
    else:
        ends = now + timedelta(seconds=grace_seconds)
        old.expires_at = ends if old.expires_at is None else min(old.expires_at, ends)
    session.flush()
    record(session, org_id, actor, "key.create", f"api_key:{fresh.id}",
           after={**_summary(fresh, now), "replaces": old.id})
    record(session, org_id, actor, "key.rotate", f"api_key:{old.id}", before=before,
           after={**_summary(old, now), "grace_seconds": grace_seconds, "replaced_by": fresh.id})
    return fresh, secret, old
