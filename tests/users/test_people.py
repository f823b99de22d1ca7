"""Disabling and enabling people, role changes and removal (``users.people``) and ``momentos user disable|enable``,
on SQLite and PostgreSQL: sessions end at once, sign-in is refused, every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.audit.service import Actor, entries
from momentos.cli import app
from momentos.db import make_session_factory, unit_of_work
from momentos.errors import Conflict, NotFound
from momentos.kit.clock import utcnow
from momentos.models import User, WebSession
from momentos.users import people
from momentos.users import service as users
from momentos.users.cli import register
from tests.conftest import make_org

register(app)
runner = CliRunner()
PASSWORD = "a long enough test password"
OWNER = Actor.user("boss@example.com")


def _person(session: Session, org_id: int, email: str, role: str = "agent") -> User:
    user = users.create_user(session, email, PASSWORD, utcnow())
    users.add_membership(session, user.id, org_id, role, utcnow())
    return user


def _sessions(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id))
               or 0)


def test_disabling_ends_every_session_refuses_the_password_and_is_recorded_everywhere(db: Session) -> None:
    first, second = make_org(db), make_org(db)
    ana = _person(db, first.id, "ana@example.com")
    users.add_membership(db, ana.id, second.id, "analyst", utcnow())
    for org_id in (first.id, second.id):
        users.start_session(db, org_id, utcnow(), user_id=ana.id)
    assert _sessions(db, ana.id) == 2
    people.disable_user(db, "ANA@example.com", Actor.cli(), utcnow())
    assert _sessions(db, ana.id) == 0
    assert users.check_password(db, "ana@example.com", PASSWORD) is None
    assert users.verify_password(db, "ana@example.com", PASSWORD) is not None  # to say why, to her only
    for org in (first, second):
        entry = entries(db, org.id, action="user")[0]
        assert (entry.action, entry.target, entry.actor_kind) == ("user.disable", "user:ana@example.com", "cli")
        assert entry.before == {"state": "active"} and entry.after == {"state": "disabled", "sessions_ended": 2}
    people.disable_user(db, "ana@example.com", Actor.cli(), utcnow())  # again: nothing new
    assert len(entries(db, first.id, action="user.disable")) == 1
    people.enable_user(db, "ana@example.com", Actor.cli())
    assert users.check_password(db, "ana@example.com", PASSWORD) is not None
    assert entries(db, second.id, action="user")[0].action == "user.enable"
    with pytest.raises(NotFound):
        people.disable_user(db, "nobody@example.com", Actor.cli(), utcnow())


def test_owners_change_roles_and_remove_people_of_their_organization_only(db: Session) -> None:
    org, other = make_org(db), make_org(db)
    _person(db, org.id, "boss@example.com", "owner")
    bea = _person(db, org.id, "bea@example.com")
    cai = _person(db, other.id, "cai@example.com")
    users.start_session(db, org.id, utcnow(), user_id=bea.id)
    people.change_role(db, org.id, bea.id, "manager", OWNER, utcnow())
    assert users.role_in(db, bea.id, org.id) == "manager"
    entry = entries(db, org.id, action="user.role")[0]
    assert entry.before == {"role": "agent"} and entry.after == {"role": "manager"} and entry.actor_kind == "user"
    with pytest.raises(NotFound):
        people.change_role(db, org.id, cai.id, "owner", OWNER, utcnow())  # not a member here
    boss = users.get_user_by_email(db, "boss@example.com")
    assert boss is not None
    changes: list[Callable[[], object]] = [
        lambda: people.change_role(db, org.id, boss.id, "agent", OWNER, utcnow()),
        lambda: people.disable_member(db, org.id, boss.id, OWNER, utcnow()),
        lambda: people.remove_member(db, org.id, boss.id, OWNER)]
    for change in changes:
        with pytest.raises(Conflict) as own:
            change()
        assert own.value.code == "own_account"
    people.remove_member(db, org.id, bea.id, OWNER)
    assert users.role_in(db, bea.id, org.id) is None and _sessions(db, bea.id) == 0
    assert entries(db, org.id, action="user.remove")[0].before == {"role": "manager"}
    users.add_membership(db, cai.id, org.id, "agent", utcnow())
    with pytest.raises(Conflict) as shared:
        people.disable_member(db, org.id, cai.id, OWNER, utcnow())  # also in another organization
    assert shared.value.code == "user_in_other_organizations"
    assert [m.email for m in people.members(db, org.id)] == ["boss@example.com", "cai@example.com"]


def test_user_disable_and_enable_commands(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        user = _person(session, org.id, f"dan-{org.id}@example.com")
        users.start_session(session, org.id, utcnow(), user_id=user.id)
        email, user_id = user.email, user.id
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    result = runner.invoke(app, ["user", "disable", email.upper()], env=env)
    assert result.exit_code == 0 and f"disabled {email}" in result.output
    with unit_of_work(factory) as session:
        assert users.check_password(session, email, PASSWORD) is None and _sessions(session, user_id) == 0
        assert entries(session, org.id, action="user")[0].actor_label == "command line"
    assert runner.invoke(app, ["user", "enable", email], env=env).exit_code == 0
    with unit_of_work(factory) as session:
        assert users.check_password(session, email, PASSWORD) is not None
    missing = runner.invoke(app, ["user", "disable", "nobody@example.com"], env=env)
    assert missing.exit_code == 1 and "No user with that e-mail" in missing.output
    changed = runner.invoke(app, ["user", "create", email, "--org", org.slug, "--role", "analyst",
                                  "--password-stdin"], input="ignored\n", env=env)
    assert changed.exit_code == 0, changed.output
    with unit_of_work(factory) as session:
        entry = entries(session, org.id, action="user.role")[0]
        assert entry.before == {"role": "agent"} and entry.after == {"role": "analyst"}
