"""The pages without a browser: sign-in, tenant isolation (404), languages, escaping, headers, paging."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.catalog.schemas import ServiceUpdate
from momentos.catalog.service import update_service
from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from momentos.web.login import safe_next
from tests.conftest import OrgHandle
from tests.factories import T0, event, send
from tests.web.seed import csrf_of, seed_journeys, seed_private, sign_in

PAGES = ["/", "/services/shop", "/customers", "/customers/ana"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_to_login_without_a_session(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_sign_in_refuses_a_bad_key_and_a_write_key(client: TestClient, org: OrgHandle) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"key": "ma_not-a-key", "csrf": token}, headers={"accept-language": "es"})
    assert r.status_code == 401 and "Esa clave no es válida" in r.text
    r = client.post("/login", data={"key": org.keys.write_key, "csrf": token}, headers={"accept-language": "en"})
    assert r.status_code == 403 and "use the organization&#39;s admin key" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_form_token(client: TestClient, org: OrgHandle) -> None:
    client.get("/login")
    r = client.post("/login", data={"key": org.keys.admin_key, "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 400
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_is_signed_httponly_and_samesite_lax(client: TestClient, org: OrgHandle) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"key": org.keys.admin_key, "csrf": token, "next": "/customers"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/customers")
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("momentos_session=") and "httponly" in cookie and "samesite=lax" in cookie
    value = client.cookies["momentos_session"]
    import base64

    payload = base64.b64decode(value.split(".")[0] + "==").decode(errors="replace")
    assert org.keys.admin_key not in payload  # only the key's digest is kept in the cookie
    client.cookies.clear()
    assert client.get("/", headers={"cookie": f"momentos_session={value}"}, follow_redirects=False).status_code == 200
    tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    assert client.get("/", headers={"cookie": f"momentos_session={tampered}"},
                      follow_redirects=False).status_code == 303


def test_sign_out_needs_the_token_and_ends_the_session(client: TestClient, org: OrgHandle) -> None:
    sign_in(client, org.keys.admin_key)
    page = client.get("/").text
    client.post("/logout", data={"csrf": "forged"})
    assert client.get("/", follow_redirects=False).status_code == 200
    r = client.post("/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "", None])
def test_sign_in_never_redirects_off_site(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_another_organizations_service_and_customer_are_404_pages(db: Session, client: TestClient, org: OrgHandle,
                                                                  other_org: OrgHandle) -> None:
    seed_private(db, other_org.id)
    sign_in(client, org.keys.admin_key)
    for path in ("/services/secret-shop", "/customers/victim", "/services/no-such-service"):
        r = client.get(path, headers={"accept-language": "es"})
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html")
        assert "<h1>No encontrado</h1>" in r.text
        assert "Secret-Shop" not in r.text and "order_placed" not in r.text
    assert "secret-shop" not in client.get("/").text
    assert "victim" not in client.get("/customers").text


def test_api_errors_keep_the_json_format_and_browsers_get_a_404_page(client: TestClient, org: OrgHandle) -> None:
    r = client.get("/api/v1/services/nope", headers={**org.admin, "accept": "text/html"})
    assert r.status_code == 404 and r.json()["code"] == "service_not_found"
    assert client.get("/no/such/page").json()["code"] == "not_found"
    r = client.get("/no/such/page", headers={"accept": "text/html,*/*", "accept-language": "en"})
    assert r.status_code == 404 and "<h1>Not found</h1>" in r.text


def test_services_page_shows_levels_reasons_and_figures_in_spanish(db: Session, client: TestClient,
                                                                   org: OrgHandle) -> None:
    seed_journeys(db, org.id)
    sign_in(client, org.keys.admin_key)
    html = client.get("/", headers={"accept-language": "es-MX,es;q=0.9"}).text
    assert '<html lang="es">' in html
    assert "Bajo contacto" in html and "Alto contacto" in html
    assert "El cliente no está presente físicamente" in html
    assert "El cliente participa activamente con el personal." in html
    assert 'data-figure="processes">5<' in html and 'data-figure="customers">5<' in html


def test_language_comes_from_query_then_cookie_then_accept_language(client: TestClient, org: OrgHandle,
                                                                    db: Session) -> None:
    seed_journeys(db, org.id)
    sign_in(client, org.keys.admin_key)
    assert "<h1>Services</h1>" in client.get("/", headers={"accept-language": "en-GB"}).text
    assert "<h1>Servicios</h1>" in client.get("/", headers={"accept-language": "fr, es;q=0.5"}).text
    assert "<h1>Servicios</h1>" in client.get("/", headers={"accept-language": "fr"}).text  # settings default
    r = client.get("/?lang=en", headers={"accept-language": "es"})
    assert "<h1>Services</h1>" in r.text and "The customer is not physically present" in r.text
    assert "momentos_lang=en" in r.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/customers", headers={"accept-language": "es"}).text


def test_pages_escape_customer_data(db: Session, client: TestClient, org: OrgHandle) -> None:
    send(db, org.id, event("x<script>", "page_viewed", 0))
    identify(db, org.id, IdentifyIn(customer="x<script>", timestamp=T0, traits={"name": "<script>alert(1)</script>"}))
    sign_in(client, org.keys.admin_key)
    for path in ("/customers", "/customers/x%3Cscript%3E", "/customers?q=%3Cscript%3E"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "<script>" not in r.text and "&lt;script&gt;" in r.text


def test_pages_send_security_headers_and_are_not_cached(client: TestClient, org: OrgHandle) -> None:
    sign_in(client, org.keys.admin_key)
    r = client.get("/")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-type-options"] == "nosniff"


def _listed(html: str) -> list[str]:
    return re.findall(r'href="/customers/([^"?]+)"', html)


def test_customers_are_searched_and_paged(db: Session, client: TestClient, org: OrgHandle) -> None:
    send(db, org.id, *(event(f"cust-{i:02d}", "page_viewed", i) for i in range(30)))
    sign_in(client, org.keys.admin_key)
    first = client.get("/customers").text
    assert _listed(first) == [f"cust-{i:02d}" for i in range(25)]
    assert 'href="/customers?after=cust-24"' in first
    second = client.get("/customers?after=cust-24").text
    assert _listed(second) == [f"cust-{i:02d}" for i in range(25, 30)] and 'rel="next"' not in second
    assert _listed(client.get("/customers?q=ST-07").text) == ["cust-07"]
    assert "Ningún cliente coincide" in client.get("/customers?q=nobody", headers={"accept-language": "es"}).text


def test_sign_in_returns_to_the_page_asked_for(db: Session, client: TestClient, org: OrgHandle) -> None:
    seed_journeys(db, org.id)
    r = client.get("/services/shop", follow_redirects=False)
    login_page = client.get(r.headers["location"]).text
    assert 'name="next" value="/services/shop"' in login_page
    r = client.post("/login", data={"key": org.keys.admin_key, "csrf": csrf_of(login_page), "next": "/services/shop"},
                    follow_redirects=False)
    assert r.headers["location"] == "/services/shop"
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"


def test_an_overridden_level_shows_the_assessed_level_and_the_reason(db: Session, client: TestClient,
                                                                     org: OrgHandle) -> None:
    seed_journeys(db, org.id)
    update_service(db, org.id, "shop", ServiceUpdate(level_override="medium",
                                                     override_reason="Asesores llaman a cada cliente"),
                                                         actor=Actor.cli("tests"))
    sign_in(client, org.keys.admin_key)
    for path in ("/", "/services/shop"):
        html = client.get(path, headers={"accept-language": "es"}).text
        assert "Ajustado a mano" in html and "evaluado como Bajo contacto, fijado en Contacto medio." in html
        assert "Asesores llaman a cada cliente" in html


@pytest.mark.parametrize(("asked", "browser", "heading"), [("es", "en-GB", 'lang="es"'), ("en", "es-ES", 'lang="en"')])
def test_the_sign_in_page_speaks_the_language_asked_for(client: TestClient, asked: str, browser: str,
                                                        heading: str) -> None:
    r = client.get(f"/overview?lang={asked}", headers={"accept-language": browser}, follow_redirects=False)
    assert r.status_code == 303 and f"lang={asked}" in r.headers["location"]
    page = client.get(r.headers["location"], headers={"accept-language": browser})
    assert page.status_code == 200 and heading in page.text
