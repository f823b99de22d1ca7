"""Security of the pages against a real server: session fixation and revocation, CSRF, other organizations' ids
in URLs, sign-in throttling, secure cookie attributes, and the organization switcher."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import ContactDecision, Customer, Notification
from momentos.notify import outbox
from momentos.users import service as users
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import PASSWORD, add_user
from tests.web.seed import csrf_of, seed_journeys, seed_private

pytestmark = [pytest.mark.live]
COOKIE = "momentos_session"


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    return org


@pytest.fixture
def other(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        seed_private(session, org.id)
        customer = session.scalar(select(Customer.id).where(Customer.org_id == org.id))
        assert customer is not None
        outbox.enqueue(session, org.id, outbox.NotificationIn(customer, "transactional", "generic", "victim-n",
                                                              {"subject": "s", "text": "t"}), utcnow())
    return org


def _client(live_server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live_server.url, follow_redirects=False, headers={"Accept-Language": "es"})


def _login(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf": token})


def test_sign_in_issues_a_new_session_and_sign_out_revokes_it_server_side(live_server: LiveServer,
                                                                          shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "owner")
    with _client(live_server) as c:
        planted = c.get("/login").cookies.get(COOKIE) or c.cookies.get(COOKIE)
        assert planted
        r = _login(c, email)
        assert r.status_code == 303
        header = r.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header
        signed_in = c.cookies.get(COOKIE)
        assert signed_in and signed_in != planted
        assert c.get("/overview").status_code == 200
        logout_token = csrf_of(c.get("/overview").text)
    with _client(live_server) as attacker:  # the cookie from before sign-in is not a session
        attacker.cookies.set(COOKIE, planted)
        assert attacker.get("/overview").status_code == 303
    with _client(live_server) as stolen:  # a copy of the signed-in cookie, used after sign-out, is dead
        stolen.cookies.set(COOKIE, signed_in)
        assert stolen.get("/overview").status_code == 200
        with _client(live_server) as owner:
            owner.cookies.set(COOKIE, signed_in)
            assert owner.post("/logout", data={"csrf": logout_token}).status_code == 303
        r = stolen.get("/overview")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_forms_without_the_session_token_change_nothing(live_server: LiveServer, shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "manager")
    with _client(live_server) as c:
        assert _login(c, email).status_code == 303
        for data in ({"per_day": "1"}, {"per_day": "1", "csrf": "forged"}):
            r = c.post("/config/services/shop/rules", data=data)
            assert r.status_code == 400
        r = c.post("/config/services/shop/assessment", data={
            "presence": "full", "participation": "active", "duration": "long", "people": "face_to_face"})
        assert r.status_code == 400
        assert "Bajo contacto" in c.get("/config/services/shop").text
        token = csrf_of(c.get("/overview").text)
        r = c.post("/config/services/shop/rules", data={"per_day": "2", "csrf": token})
        assert r.status_code == 303
        assert 'data-rule="day">2<' in c.get("/config/services/shop").text
    with _client(live_server) as c:  # sign-in itself needs the form token
        r = c.post("/login", data={"email": email, "password": PASSWORD})
        assert r.status_code == 400
        assert c.get("/overview").status_code == 303


def test_another_organizations_ids_in_urls_are_not_found(live_server: LiveServer, shop: OrgHandle,
                                                         other: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "owner")
    theirs = live_server.read(lambda s: s.scalar(select(Notification.id).where(Notification.org_id == other.id)))
    with _client(live_server) as c:
        assert _login(c, email).status_code == 303
        token = csrf_of(c.get("/overview").text)
        for path in ("/services/secret-shop/map", "/services/secret-shop/map/cell?moment=purchase&kind=reached",
                     "/services/secret-shop/map/cell?moment=purchase&kind=current", "/config/services/secret-shop",
                     "/customers/victim", "/services/secret-shop", "/services/secret-shop/report.html"):
            r = c.get(path)
            assert r.status_code == 404, path
            assert "Esta página no existe o pertenece a otra organización." in r.text
        assert c.post(f"/ops/notifications/{theirs}/replay", data={"csrf": token}).status_code == 404
        assert c.post("/config/services/secret-shop/rules", data={"csrf": token, "per_day": "0"}).status_code == 404
        r = c.get("/config/services/shop?customer=victim&purpose=status")
        assert r.status_code == 200 and "No hay ningún cliente con ese id." in r.text
        assert c.post("/orgs/switch", data={"csrf": token, "org": str(other.id)}).status_code == 404


def test_throttling_locks_the_account_then_lets_it_in_after_the_wait(live_server: LiveServer,
                                                                     shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "analyst")
    with _client(live_server) as c:
        for _ in range(users.ACCOUNT_LIMIT):
            r = _login(c, email, "wrong password!")
            assert r.status_code == 401
            assert "El correo electrónico o la contraseña no son correctos." in r.text
        r = _login(c, email)  # the right password, but locked
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Demasiados intentos fallidos. Inténtelo de nuevo en 15 minutos." in r.text
        assert c.get("/overview").status_code == 303
    with unit_of_work(live_server.factory) as session:  # the window passes
        users.clear_failures(session, email)
    with _client(live_server) as c:
        assert _login(c, email).status_code == 303


def test_a_user_of_two_organizations_switches_between_them_with_the_role_of_each(
        live_server: LiveServer, shop: OrgHandle, other: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "agent")
    with unit_of_work(live_server.factory) as session:
        user = users.get_user_by_email(session, email)
        assert user is not None
        users.add_membership(session, user.id, other.id, "manager", utcnow())
    with _client(live_server) as c:
        assert _login(c, email).status_code == 303
        home = c.get("/customers").text
        assert 'id="org-switch"' in home
        first_role = "Agente" if f'value="{shop.id}" selected' in home else "Gestor"
        assert c.get("/overview").status_code == (403 if first_role == "Agente" else 200)
        target = other.id if first_role == "Agente" else shop.id
        assert c.post("/orgs/switch", data={"csrf": csrf_of(home), "org": str(target)}).status_code == 303
        assert c.get("/overview").status_code == (200 if first_role == "Agente" else 403)


def test_the_preview_shows_what_the_policy_would_decide_without_recording_it(live_server: LiveServer,
                                                                            shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "manager")

    def decisions() -> int:
        return len(live_server.read(lambda s: s.scalars(select(ContactDecision.id).where(
            ContactDecision.org_id == shop.id)).all()))

    before = decisions()
    with _client(live_server) as c:
        assert _login(c, email).status_code == 303
        page = c.get("/config/services/shop?customer=ana&purpose=marketing").text
        assert 'data-outcome="send"' in page and "Correo electrónico" in page
        token = csrf_of(page)
        assert c.post("/config/services/shop/rules", data={"csrf": token, "per_day": "0"}).status_code == 303
        page = c.get("/config/services/shop?customer=ana&purpose=marketing").text
        assert 'data-outcome="defer"' in page
    assert decisions() == before


def test_the_pages_speak_the_language_the_user_chose(live_server: LiveServer, shop: OrgHandle) -> None:
    email = add_user(live_server, shop.id, "analyst", language="en")
    with _client(live_server) as c:  # the browser asks for Spanish; the account says English
        assert _login(c, email).status_code == 303
        assert "<h1>Overview</h1>" in c.get("/overview").text
        assert "<h1>Resumen</h1>" in c.get("/overview?lang=es").text
    with _client(live_server) as c:
        c.headers["Accept-Language"] = "en"
        assert _login(c, email).status_code == 303
        assert "<h1>Resumen</h1>" in c.get("/overview").text  # the choice was stored with the account
