"""People of an organization, as its owners manage them: the member list, role changes, removal, disabling and
enabling accounts. Takes a session; never commits. Every change is in the audit log (target ``user:<email>``).

Disabling an account (``users.disabled_at``) refuses its sign-in and ends its page sessions at once: the rows are
deleted here, and every request checks the account anyway (``web.session``), so no stale session survives. An
account is global: from a page, an owner may disable only people who belong to no other organization (removing
them from this one is always possible); the command line (``momentos user disable``) acts on any account.
From a page nobody changes their own account (``own_account``), so an owner cannot lock themselves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from momentos.audit.service import Actor, record
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.models import Membership, User, WebSession
from momentos.users.roles import ROLES
from momentos.users.service import add_membership, get_user_by_email


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    role: str
    disabled_at: datetime | None
    joined_at: datetime
    other_orgs: int
    """How many other organizations the person belongs to."""

    @property
    def state(self) -> str:
        return "disabled" if self.disabled_at is not None else "active"


def members(session: Session, org_id: int, user_id: int | None = None) -> list[Member]:
    """The organization's people by e-mail (or the one ``user_id``), with their role, state and how many other
    organizations they are in."""
    elsewhere = aliased(Membership)
    others = (select(func.count()).select_from(elsewhere)
              .where(elsewhere.user_id == User.id, elsewhere.org_id != org_id).correlate(User).scalar_subquery())
    query = (select(User.id, User.email, Membership.role, User.disabled_at, Membership.created_at, others)
             .join(Membership, Membership.user_id == User.id).where(Membership.org_id == org_id))
    if user_id is not None:
        query = query.where(User.id == user_id)
    return [Member(*row) for row in session.execute(query.order_by(User.email))]


def get_member(session: Session, org_id: int, user_id: int) -> Member:
    found = members(session, org_id, user_id)
    if not found:
        raise NotFound("Person not found in this organization.", code="user_not_found", detail={"id": user_id})
    return found[0]


def _not_self(actor: Actor, member: Member) -> None:
    if actor.kind == "user" and actor.label == member.email:
        raise Conflict("You cannot change your own account here.", code="own_account")


def _orgs_of(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(Membership.org_id).where(Membership.user_id == user_id)
                                .order_by(Membership.org_id)))


def _end_sessions(session: Session, user_id: int, org_id: int | None = None) -> int:
    """Delete the person's page sessions (in one organization, or all): they end at the next request."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if org_id is not None:
        query = query.where(WebSession.org_id == org_id)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def _find_user(session: Session, email: str) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFound("No user with that e-mail.", code="user_not_found", detail={"email": email})
    return user


def disable_user(session: Session, email: str, actor: Actor, now: datetime) -> User:
    """Disable an account everywhere and end its sessions; recorded in each of its organizations' logs."""
    user = _find_user(session, email)
    if user.disabled_at is not None:
        return user
    user.disabled_at = now
    ended = _end_sessions(session, user.id)
    session.flush()
    for org_id in _orgs_of(session, user.id):
        record(session, org_id, actor, "user.disable", f"user:{user.email}", before={"state": "active"},
               after={"state": "disabled", "sessions_ended": ended})
    return user


def enable_user(session: Session, email: str, actor: Actor) -> User:
    user = _find_user(session, email)
    if user.disabled_at is None:
        return user
    user.disabled_at = None
    session.flush()
    for org_id in _orgs_of(session, user.id):
        record(session, org_id, actor, "user.enable", f"user:{user.email}", before={"state": "disabled"},
               after={"state": "active"})
    return user


def disable_member(session: Session, org_id: int, user_id: int, actor: Actor, now: datetime) -> None:
    """An owner disables a person of their organization (who belongs to no other one)."""
    member = get_member(session, org_id, user_id)
    _not_self(actor, member)
    if member.other_orgs:
        raise Conflict("This person also belongs to other organizations: remove them from this one instead.",
                       code="user_in_other_organizations")
    disable_user(session, member.email, actor, now)


def enable_member(session: Session, org_id: int, user_id: int, actor: Actor) -> None:
    member = get_member(session, org_id, user_id)
    _not_self(actor, member)
    if member.other_orgs:
        raise Conflict("This person also belongs to other organizations.", code="user_in_other_organizations")
    enable_user(session, member.email, actor)


def grant_role(session: Session, org_id: int, user: User, role: str, actor: Actor, now: datetime) -> None:
    """Give a person a role in the organization (a new membership or a changed one), recorded."""
    before = session.scalar(select(Membership.role).where(Membership.user_id == user.id,
                                                          Membership.org_id == org_id))
    add_membership(session, user.id, org_id, role, now)
    if before != role:
        record(session, org_id, actor, "user.add" if before is None else "user.role", f"user:{user.email}",
               before=None if before is None else {"role": before}, after={"role": role})


def change_role(session: Session, org_id: int, user_id: int, role: str, actor: Actor, now: datetime) -> None:
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role '{role}'.", code="unknown_role", detail={"roles": list(ROLES)})
    member = get_member(session, org_id, user_id)
    _not_self(actor, member)
    user = session.get(User, member.user_id)
    assert user is not None
    grant_role(session, org_id, user, role, actor, now)


def remove_member(session: Session, org_id: int, user_id: int, actor: Actor) -> None:
    """Take a person out of the organization; their sessions in it end at once (the account stays)."""
    member = get_member(session, org_id, user_id)
    _not_self(actor, member)
    session.execute(delete(Membership).where(Membership.user_id == user_id, Membership.org_id == org_id))
    ended = _end_sessions(session, user_id, org_id)
    session.flush()
    record(session, org_id, actor, "user.remove", f"user:{member.email}", before={"role": member.role},
           after={"sessions_ended": ended})
