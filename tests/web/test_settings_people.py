"""The owners' people page (/settings/people): disable and enable (sessions end at once, sign-in refused with a
translated message), role changes and removal, never one's own account, audited by the viewer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.audit.service import entries
from momentos.kit.clock import utcnow
from momentos.users import service as users
from tests.conftest import OrgHandle, make_org
from tests.web.seed import csrf_of
from tests.web.settings_helpers import PASSWORD, browser, person, sign_in_password, token_of


def test_disabling_ends_the_session_at_once_and_sign_in_says_why(db: Session, client: TestClient,
                                                                 org: OrgHandle) -> None:
    person(db, org.id, "owner@example.com", "owner")
    agent_id = person(db, org.id, "agent@example.com", "agent")
    agent = browser(client)
    sign_in_password(agent, "agent@example.com")
    assert agent.get("/customers").status_code == 200
    owner = browser(client)
    sign_in_password(owner, "owner@example.com")
    token = token_of(owner)
    page = owner.get("/settings/people").text
    assert 'data-person="agent@example.com" data-state="active"' in page and "Desactivar" in page
    assert owner.post(f"/settings/people/{agent_id}/disable", data={"csrf": token}).status_code == 303
    ended = agent.get("/customers")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert 'data-person="agent@example.com" data-state="disabled"' in owner.get("/settings/people").text
    for lang, words in (("es", "Esta cuenta está desactivada"), ("en", "This account is disabled")):
        tab = browser(client, lang)
        form = csrf_of(tab.get("/login").text)
        refused = tab.post("/login", data={"email": "agent@example.com", "password": PASSWORD, "csrf": form})
        assert refused.status_code == 403 and words in refused.text
        wrong = tab.post("/login", data={"email": "agent@example.com", "password": "not the password",
                                         "csrf": form})
        assert wrong.status_code == 401 and words not in wrong.text  # only the right password learns why
    entry = entries(db, org.id, action="user.disable")[0]
    assert (entry.target, entry.actor_label) == ("user:agent@example.com", "owner@example.com")
    assert owner.post(f"/settings/people/{agent_id}/enable", data={"csrf": token}).status_code == 303
    sign_in_password(browser(client), "agent@example.com")
    assert entries(db, org.id, action="user")[0].action == "user.enable"


def test_roles_change_people_leave_and_nobody_changes_their_own_account(db: Session, client: TestClient,
                                                                       org: OrgHandle) -> None:
    owner_id = person(db, org.id, "owner@example.com", "owner", language="en")
    analyst_id = person(db, org.id, "ana@example.com", "analyst")
    analyst = browser(client)
    sign_in_password(analyst, "ana@example.com")
    assert analyst.get("/config").status_code == 200
    owner = browser(client, "en")
    sign_in_password(owner, "owner@example.com")
    token = token_of(owner)
    assert owner.post(f"/settings/people/{analyst_id}/role", data={"role": "agent", "csrf": token}
                      ).status_code == 303
    assert analyst.get("/config").status_code == 403  # the new role holds at the next request
    assert entries(db, org.id, action="user.role")[0].after == {"role": "agent"}
    assert owner.post(f"/settings/people/{analyst_id}/role", data={"role": "king", "csrf": token}
                      ).status_code == 422
    for action in ("disable", "remove", "role"):
        own = owner.post(f"/settings/people/{owner_id}/{action}", data={"role": "agent", "csrf": token})
        assert own.status_code == 409 and "You cannot change your own account here." in own.text
    assert users.role_in(db, owner_id, org.id) == "owner"
    assert owner.post(f"/settings/people/{analyst_id}/remove", data={"csrf": token}).status_code == 303
    assert analyst.get("/customers").status_code == 303  # no longer a member: signed out
    assert "ana@example.com" not in owner.get("/settings/people").text
    assert owner.post(f"/settings/people/{analyst_id}/promote", data={"csrf": token}).status_code == 400
    assert owner.post(f"/settings/people/{analyst_id}/disable", data={}).status_code == 400  # no form token


def test_people_of_other_organizations_are_out_of_reach(db: Session, client: TestClient, org: OrgHandle) -> None:
    person(db, org.id, "owner@example.com", "owner")
    other = make_org(db)
    stranger = person(db, other.id, "stranger@example.com", "agent")
    shared = person(db, other.id, "shared@example.com", "agent")
    users.add_membership(db, shared, org.id, "agent", utcnow())
    owner = browser(client)
    sign_in_password(owner, "owner@example.com")
    token = token_of(owner)
    page = owner.get("/settings/people").text
    assert "stranger@example.com" not in page and "también en 1 organización más" in page
    for action in ("disable", "remove", "enable"):
        assert owner.post(f"/settings/people/{stranger}/{action}", data={"csrf": token}).status_code == 404
    refused = owner.post(f"/settings/people/{shared}/disable", data={"csrf": token})
    assert refused.status_code == 409 and "quítela de esta" in refused.text
    assert owner.post(f"/settings/people/{shared}/remove", data={"csrf": token}).status_code == 303
    assert users.role_in(db, shared, other.id) == "agent" and users.role_in(db, shared, org.id) is None
