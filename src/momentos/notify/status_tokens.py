"""Status-page links: unguessable, revocable, and never stored. Never commits.

A link's token is derived from a random nonce with the server's secret (:func:`momentos.kit.ids.link_token`); the row
keeps the nonce and the token's SHA-256 digest, which is what a visit is looked up by. So a copy of the database
opens no status page, while the token can be derived again to show staff the link or to put it in a notice. A
process has one derivable active link at a time (links issued before tokens were derived stay valid alongside until
revoked); revoking ends them all, and the next request makes a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.db import session_link_key
from momentos.kit.ids import digest, link_token, new_nonce
from momentos.models import StatusToken

PURPOSE = "status"
TOKEN_MAX = 64


def _active_derivable(session: Session, process_ids: list[int]) -> dict[int, str]:
    """Process id → nonce of its newest active derivable link."""
    rows = session.execute(select(StatusToken.process_id, StatusToken.nonce).where(
        StatusToken.process_id.in_(process_ids), StatusToken.revoked_at.is_(None), StatusToken.nonce.is_not(None))
        .order_by(StatusToken.id))
    return {pid: nonce for pid, nonce in rows if nonce is not None}


def active_token(session: Session, process_id: int) -> str | None:
    """The token of the process's active link, if it has one that can be derived (nothing is created)."""
    nonce = _active_derivable(session, [process_id]).get(process_id)
    return None if nonce is None else link_token(session_link_key(session), PURPOSE, nonce)


def ensure_token(session: Session, org_id: int, process_id: int, now: datetime) -> str:
    """The token of the process's active link, created on first use."""
    return ensure_tokens(session, {process_id: org_id}, now)[process_id]


def issue(session: Session, org_id: int, process_id: int, now: datetime, *, actor: Actor) -> str:
    """``ensure_token`` asked for by someone (a page): a link made now is recorded in the audit log."""
    had = active_token(session, process_id)
    token = ensure_token(session, org_id, process_id, now)
    if had is None:
        record(session, org_id, actor, "status_link.create", f"process:{process_id}")
    return token


def revoke_by(session: Session, org_id: int, process_id: int, now: datetime, *, actor: Actor) -> int:
    """``revoke`` asked for by someone (a page), recorded in the audit log when a link ended."""
    ended = revoke(session, process_id, now)
    if ended:
        record(session, org_id, actor, "status_link.revoke", f"process:{process_id}", before={"links": ended})
    return ended


def revoke(session: Session, process_id: int, now: datetime) -> int:
    rows = session.scalars(select(StatusToken).where(StatusToken.process_id == process_id,
                                                     StatusToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def find(session: Session, token: str) -> StatusToken | None:
    """The active link whose token this is (looked up by its digest)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return session.scalar(select(StatusToken).where(StatusToken.digest == digest(token),
                                                    StatusToken.revoked_at.is_(None)))


def ensure_tokens(session: Session, processes: dict[int, int], now: datetime) -> dict[int, str]:
    """``ensure_token`` for many processes (process id → organization id): one read, one multi-row insert."""
    if not processes:
        return {}
    key = session_link_key(session)
    nonces = _active_derivable(session, list(processes))
    new = {pid: new_nonce() for pid in processes if pid not in nonces}
    if new:
        session.execute(insert(StatusToken), [
            {"org_id": processes[pid], "process_id": pid, "nonce": nonce,
             "digest": digest(link_token(key, PURPOSE, nonce)), "created_at": now} for pid, nonce in new.items()])
        nonces.update(new)
    return {pid: link_token(key, PURPOSE, nonces[pid]) for pid in processes}
