"""Accounts, roles, page sessions and sign-in throttling against both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.models import WebSession
from momentos.users import service as users
from momentos.users.roles import allows
from tests.conftest import OrgHandle

PASSWORD = "correct horse battery"


def test_password_is_stored_as_an_argon2id_hash_and_checked(db: Session, org: OrgHandle) -> None:
    user = users.create_user(db, " Ana@Example.COM ", PASSWORD, utcnow())
    assert user.email == "ana@example.com"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert users.check_password(db, "ANA@example.com", PASSWORD) is not None
    assert users.check_password(db, "ana@example.com", PASSWORD + "x") is None
    assert users.check_password(db, "nobody@example.com", PASSWORD) is None


def test_emails_are_unique_and_passwords_not_too_short(db: Session) -> None:
    users.create_user(db, "dup@example.com", PASSWORD, utcnow())
    with pytest.raises(Conflict):
        users.create_user(db, "DUP@example.com", PASSWORD, utcnow())
    with pytest.raises(ValidationFailed):
        users.create_user(db, "short@example.com", "short", utcnow())


def test_a_user_may_belong_to_several_organizations_with_a_role_in_each(db: Session, org: OrgHandle,
                                                                      other_org: OrgHandle) -> None:
    user = users.create_user(db, "multi@example.com", PASSWORD, utcnow())
    users.add_membership(db, user.id, org.id, "analyst", utcnow())
    users.add_membership(db, user.id, other_org.id, "agent", utcnow())
    assert {(o.org_id, o.role) for o in users.memberships_of(db, user.id)} == {(org.id, "analyst"),
                                                                              (other_org.id, "agent")}
    users.add_membership(db, user.id, org.id, "manager", utcnow())
    assert users.role_in(db, user.id, org.id) == "manager"
    with pytest.raises(ValidationFailed):
        users.add_membership(db, user.id, org.id, "king", utcnow())


def test_roles_table() -> None:
    assert allows("owner", "configure") and allows("manager", "configure")
    assert allows("analyst", "read") and not allows("analyst", "configure") and not allows("analyst", "operate")
    assert allows("agent", "customers") and not allows("agent", "read")


def test_sessions_are_revocable_expire_and_switch_only_to_member_organizations(
        db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    user = users.create_user(db, "sess@example.com", PASSWORD, utcnow())
    users.add_membership(db, user.id, org.id, "owner", utcnow())
    now = utcnow()
    token = users.start_session(db, org.id, now, user_id=user.id)
    row = users.find_session(db, token, now)
    assert row is not None and row.digest != token  # only the digest is stored
    assert users.find_session(db, token, now + users.SESSION_AGE + timedelta(seconds=1)) is None
    with pytest.raises(NotFound):
        users.switch_org(db, row, other_org.id)
    users.revoke_session(db, token, now)
    db.expire_all()
    assert users.find_session(db, token, now) is None
    later = now + 3 * users.SESSION_AGE  # sessions that ended long ago are deleted at the next sign-in
    users.start_session(db, org.id, later, user_id=user.id)
    assert [s.digest for s in users.live_sessions(db, user.id, later)] != [row.digest]
    assert db.scalar(select(WebSession.id).where(WebSession.digest == row.digest)) is None


def test_throttling_locks_an_account_after_five_failures_and_an_address_after_twenty(db: Session) -> None:
    now = utcnow()
    email = f"victim-{now.timestamp()}@example.com"
    for _ in range(users.ACCOUNT_LIMIT - 1):
        users.record_failure(db, email, "10.0.0.1", now)
    assert users.locked_for(db, email, "10.0.0.2", now) == 0
    users.record_failure(db, email, "10.0.0.1", now)
    wait = users.locked_for(db, email, "10.0.0.2", now)
    assert 0 < wait <= users.THROTTLE_WINDOW.total_seconds() + 1
    assert users.locked_for(db, email, "10.0.0.2", now + users.THROTTLE_WINDOW + timedelta(seconds=1)) == 0
    address = f"10.9.{int(now.timestamp()) % 250}.7"
    for i in range(users.ADDRESS_LIMIT):
        users.record_failure(db, f"spray-{i}@example.com", address, now)
    assert users.locked_for(db, "someone-else@example.com", address, now) > 0
    assert users.locked_for(db, "someone-else@example.com", "10.0.0.3", now) == 0


def test_demo_login_gives_a_fresh_password_each_time(db: Session, org: OrgHandle) -> None:
    first = users.demo_login(db, org.id, utcnow())
    second = users.demo_login(db, org.id, utcnow())
    assert first["password"] != second["password"]
    assert users.check_password(db, second["email"], first["password"]) is None
    user = users.check_password(db, second["email"], second["password"])
    assert user is not None and users.role_in(db, user.id, org.id) == "owner"
