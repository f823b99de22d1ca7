"""Accounts, memberships, page sessions and sign-in throttling. Takes a session; never commits.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when those change). A page session is a random
token in the (signed) cookie whose SHA-256 digest is a row here: every sign-in makes a new one (no session
fixation), sign-out revokes it, and a disabled user or a lost membership ends it at the next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from momentos.db import is_postgres
from momentos.dialect import hold_advisory_locks
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.ids import digest, new_token
from momentos.models import LoginFailure, Membership, Organization, User, WebSession
from momentos.users.roles import ROLES

SESSION_AGE = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
"""Failed sign-ins per account within the window before the account is locked for the rest of it."""
ADDRESS_LIMIT = 20
"""Failed sign-ins per client address within the window (any accounts, admin keys included)."""
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
LANGUAGES = ("es", "en")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("momentos-timing-equaliser")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
                               code="weak_password")
    return _hasher.hash(password)


def create_user(session: Session, email: str, password: str, now: datetime, language: str | None = None) -> User:
    address = normalize_email(email)
    if "@" not in address or len(address) > 254:
        raise ValidationFailed("That is not an e-mail address.", code="invalid_email", detail={"email": email})
    if session.scalar(select(User.id).where(User.email == address)):
        raise Conflict("A user with that e-mail exists.", code="user_exists", detail={"email": address})
    user = User(email=address, password_hash=hash_password(password), language=language, created_at=now)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def add_membership(session: Session, user_id: int, org_id: int, role: str, now: datetime) -> Membership:
    """Give a user a role in an organization (or change it)."""
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role '{role}'.", code="unknown_role", detail={"roles": list(ROLES)})
    row = session.scalar(select(Membership).where(Membership.user_id == user_id, Membership.org_id == org_id))
    if row is None:
        row = Membership(user_id=user_id, org_id=org_id, role=role, created_at=now)
        session.add(row)
    else:
        row.role = role
    session.flush()
    return row


@dataclass(frozen=True)
class OrgChoice:
    org_id: int
    slug: str
    name: str
    role: str


def memberships_of(session: Session, user_id: int) -> list[OrgChoice]:
    stmt = (select(Organization.id, Organization.slug, Organization.name, Membership.role)
            .join(Membership, Membership.org_id == Organization.id).where(Membership.user_id == user_id)
            .order_by(Organization.name, Organization.id))
    return [OrgChoice(i, s, n, r) for i, s, n, r in session.execute(stmt)]


def role_in(session: Session, user_id: int, org_id: int) -> str | None:
    return session.scalar(select(Membership.role).where(Membership.user_id == user_id, Membership.org_id == org_id))


def set_language(session: Session, user_id: int, language: str) -> None:
    if language in LANGUAGES:
        session.execute(update(User).where(User.id == user_id).values(language=language))


# --- throttling ---------------------------------------------------------------------------------------------------

def _subjects(email: str | None, address: str | None) -> list[tuple[str, int]]:
    subjects = []
    if email:
        subjects.append((f"email:{normalize_email(email)}"[:300], ACCOUNT_LIMIT))
    if address:
        subjects.append((f"ip:{address}"[:300], ADDRESS_LIMIT))
    return subjects


THROTTLE_LOCKS = "momentos.sign-in"
"""The advisory lock space of sign-in attempts (PostgreSQL), one lock per subject."""


def begin_attempt(session: Session, email: str | None, address: str | None, now: datetime) -> int:
    """Start a sign-in attempt: hold its subjects (account and client address) until the transaction ends, then
    return the seconds to wait (0: the password may be checked now).

    Holding the subjects makes check-and-count atomic: a parallel attempt for the same account or address waits
    until this one has committed its failure, so it counts it. PostgreSQL: an advisory lock per subject; SQLite:
    a write (the prune of old failures) takes the database's write lock for the rest of the transaction."""
    hold_advisory_locks(session, THROTTLE_LOCKS, [subject for subject, _ in _subjects(email, address)])
    if not is_postgres(session):
        _prune(session, now)
    return locked_for(session, email, address, now)


def _prune(session: Session, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - 4 * THROTTLE_WINDOW))


def locked_for(session: Session, email: str | None, address: str | None, now: datetime) -> int:
    """Seconds until another attempt is allowed for this account or client address (0: allowed now)."""
    wait = 0
    for subject, limit in _subjects(email, address):
        times = session.scalars(select(LoginFailure.failed_at).where(
            LoginFailure.subject == subject, LoginFailure.failed_at > now - THROTTLE_WINDOW)
            .order_by(LoginFailure.failed_at.desc()).limit(limit)).all()
        if len(times) >= limit:
            wait = max(wait, int((min(times) + THROTTLE_WINDOW - now).total_seconds()) + 1)
    return wait


def record_failure(session: Session, email: str | None, address: str | None, now: datetime) -> None:
    for subject, _ in _subjects(email, address):
        session.add(LoginFailure(subject=subject, failed_at=now))
    _prune(session, now)
    session.flush()


def clear_failures(session: Session, email: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.subject == f"email:{normalize_email(email)}"))


def check_password(session: Session, email: str, password: str) -> User | None:
    """The user when the password matches an enabled account (same work done for unknown e-mails)."""
    user = verify_password(session, email, password)
    return user if user is not None and user.disabled_at is None else None


def verify_password(session: Session, email: str, password: str) -> User | None:
    """The user when the password matches, disabled or not (sign-in then says the account is disabled: only to
    someone who knows the password)."""
    user = get_user_by_email(session, email) if email else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


# --- sessions -----------------------------------------------------------------------------------------------------

def start_session(session: Session, org_id: int, now: datetime, *, user_id: int | None = None,
                  key_digest: str | None = None) -> str:
    """A new session; returns the token for the cookie (only its digest is stored). Sessions that ended long ago
    are deleted on the way."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now - SESSION_AGE))
    token = new_token(32)
    session.add(WebSession(digest=digest(token), user_id=user_id, org_id=org_id, key_digest=key_digest,
                           created_at=now, expires_at=now + SESSION_AGE))
    session.flush()
    return token


def find_session(session: Session, token: object, now: datetime) -> WebSession | None:
    """The live session of a cookie token (None when missing, unknown, expired or revoked)."""
    if not isinstance(token, str) or not token:
        return None
    row = session.scalar(select(WebSession).where(WebSession.digest == digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def revoke_session(session: Session, token: object, now: datetime) -> None:
    if isinstance(token, str) and token:
        session.execute(update(WebSession).where(WebSession.digest == digest(token), WebSession.revoked_at.is_(None))
                        .values(revoked_at=now))


def switch_org(session: Session, row: WebSession, org_id: int) -> None:
    """Move a user's session to another organization they belong to (404 otherwise)."""
    if row.user_id is None or role_in(session, row.user_id, org_id) is None:
        raise NotFound("Organization not found.", code="organization_not_found")
    row.org_id = org_id
    session.flush()


def live_sessions(session: Session, user_id: int, now: datetime) -> Sequence[WebSession]:
    return session.scalars(select(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None),
                                                    WebSession.expires_at > now)).all()


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.flush()


DEMO_EMAIL = "demo@momentos.example"


def demo_login(session: Session, org_id: int, now: datetime, keep: str | None = None) -> dict[str, str]:
    """The demo organization's owner account. ``keep``: the password a previous run printed, kept while it still
    signs in; otherwise a fresh random one is set (shown once)."""
    if keep and check_password(session, DEMO_EMAIL, keep) is not None:
        user = get_user_by_email(session, DEMO_EMAIL)
        assert user is not None
        add_membership(session, user.id, org_id, "owner", now)
        return {"email": DEMO_EMAIL, "password": keep}
    password = new_token(12)
    user = get_user_by_email(session, DEMO_EMAIL)
    if user is None:
        user = create_user(session, DEMO_EMAIL, password, now)
    else:
        set_password(session, user, password)
    add_membership(session, user.id, org_id, "owner", now)
    return {"email": DEMO_EMAIL, "password": password}
