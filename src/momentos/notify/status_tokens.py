"""Status-page tokens: one active, unguessable, revocable token per process. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from momentos.kit.ids import new_token
from momentos.models import StatusToken


def active_token(session: Session, process_id: int) -> StatusToken | None:
    return session.scalar(select(StatusToken).where(StatusToken.process_id == process_id,
                                                    StatusToken.revoked_at.is_(None)).limit(1))


def ensure_token(session: Session, org_id: int, process_id: int, now: datetime) -> str:
    row = active_token(session, process_id)
    if row is None:
        row = StatusToken(org_id=org_id, process_id=process_id, token=new_token(24), created_at=now)
        session.add(row)
        session.flush()
    return row.token


def revoke(session: Session, process_id: int, now: datetime) -> int:
    rows = session.scalars(select(StatusToken).where(StatusToken.process_id == process_id,
                                                     StatusToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def find(session: Session, token: str) -> StatusToken | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(StatusToken).where(StatusToken.token == token, StatusToken.revoked_at.is_(None)))


def ensure_tokens(session: Session, processes: dict[int, int], now: datetime) -> dict[int, str]:
    """``ensure_token`` for many processes (process id → organization id): one read, one multi-row insert."""
    if not processes:
        return {}
    found = {row.process_id: row.token for row in session.scalars(select(StatusToken).where(
        StatusToken.process_id.in_(list(processes)), StatusToken.revoked_at.is_(None)))}
    new = {pid: new_token(24) for pid in processes if pid not in found}
    if new:
        session.execute(insert(StatusToken), [{"org_id": processes[pid], "process_id": pid, "token": token,
                                               "created_at": now} for pid, token in new.items()])
        found.update(new)
    return found
