"""The audit log page: owners only (managers, analysts and agents get 403, and no link), entries newest first with
the change as a translated label and before → after, filters, paging, es/en; in headless Chromium: an owner's
change on the configuration pages appears at once, and axe-core finds nothing serious."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.users import service as users
from momentos.web import audit_pages
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of, seed_journeys, sign_in

URL = "/settings/audit"


def _user(db: Session, client: TestClient, org: OrgHandle, role: str, language: str | None = None) -> str:
    email = f"{role}@example.com"
    user = users.create_user(db, email, PASSWORD, utcnow(), language)
    users.add_membership(db, user.id, org.id, role, utcnow())
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return email


@pytest.mark.parametrize("role", ["manager", "analyst", "agent"])
def test_only_owners_see_the_audit_log(db: Session, client: TestClient, org: OrgHandle, role: str) -> None:
    record(db, org.id, Actor.user("ana@example.com"), "service.update", "service:shop", after={"name_en": "x"})
    _user(db, client, org, role)
    r = client.get(URL)
    assert r.status_code == 403
    assert "service:shop" not in r.text
    assert URL not in client.get("/customers").text  # no link in the menu


def test_an_owner_reads_entries_in_spanish_and_english(db: Session, client: TestClient, org: OrgHandle,
                                                       other_org: OrgHandle) -> None:
    record(db, org.id, Actor.key(4, "admin key ma_ab12"), "service.update", "service:shop",
           before={"contact_level": "low", "level_override": None},
           after={"contact_level": "high", "level_override": "high"})
    record(db, org.id, Actor.user("ana@example.com"), "segment.delete", "segment:vip", before={"name_en": "VIP"})
    record(db, other_org.id, Actor.user("eve@example.com"), "segment.create", "segment:victim")
    _user(db, client, org, "owner")
    page = client.get(URL, headers={"Accept-Language": "es"})
    assert page.status_code == 200, page.text
    assert URL in page.text  # the menu links to it
    text = page.text
    assert "Servicio modificado" in text and "Segmento eliminado" in text
    assert text.index("segment:vip") < text.index("service:shop")  # newest first
    assert "<code>low</code> → <code>high</code>" in text and "admin key ma_ab12" in text and "ana@example.com" in text
    assert "victim" not in text and "eve@" not in text
    english = client.get(URL, headers={"Accept-Language": "en"}).text
    assert "Service changed" in english and "Segment removed" in english and "Audit log" in english


def test_filters_and_paging(db: Session, client: TestClient, org: OrgHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_pages, "PER_PAGE", 2)
    made = [record(db, org.id, Actor.user("ana@example.com" if i % 2 else "bo@example.com"),
                   "service.update" if i < 3 else "segment.create", f"thing:{i}") for i in range(5)]
    made[0].at = utcnow() - timedelta(days=10)
    db.flush()
    _user(db, client, org, "owner")

    def shown(**params: str) -> list[str]:
        r = client.get(URL, params=params)
        assert r.status_code == 200, r.text
        return [f"thing:{i}" for i in range(5) if f"<code>thing:{i}</code>" in r.text]

    first = client.get(URL).text
    assert shown() == ["thing:3", "thing:4"] and 'rel="next"' in first
    assert shown(before=str(made[3].id)) == ["thing:1", "thing:2"]
    assert shown(before=str(made[1].id)) == ["thing:0"]
    assert shown(action="segment.create") == ["thing:3", "thing:4"]
    assert shown(actor="ana@example.com", action="service") == ["thing:1"]
    assert shown(target="thing:2") == ["thing:2"]
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert shown(**{"to": (utcnow() - timedelta(days=5)).date().isoformat()}) == ["thing:0"]
    assert "thing:0" not in shown(**{"from": yesterday})
    assert shown(**{"from": "not a day", "before": "x"}) == ["thing:3", "thing:4"]  # ignored, not a 500
    assert shown(before="9" * 30) == ["thing:3", "thing:4"]
    nothing = client.get(URL, params={"actor": "nobody"}, headers={"Accept-Language": "en"}).text
    assert "No change matches these filters." in nothing


@pytest.mark.browser
@pytest.mark.live
def test_an_owners_change_appears_in_the_log_and_the_page_passes_axe(
        page: Page, chromium: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> None:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    email = add_user(live_server, org.id, "owner", "es")
    sign_in_user(page, live_server, email)
    page.goto(f"{live_server.url}/config/services/shop")
    page.locator("#r-week").fill("3")  # the service's contact rules
    page.locator("#rules button[type=submit]").click()
    page.get_by_role("link", name="Registro de cambios").click()
    row = page.locator("tr[data-action='contact_rules.set']").first
    expect(row).to_contain_text("Reglas de contacto modificadas")
    expect(row).to_contain_text(email)
    expect(row).to_contain_text("contact_rules:service:shop")

    if request.node.callspec.params["engine"] != "sqlite":
        return  # the accessibility audit does not depend on the database
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in_user(tab, live_server, email)
        source = axe_source()
        for query in ("", "?action=service&lang=en", "?actor=nobody"):
            tab.goto(f"{live_server.url}{URL}{query}")
            assert serious_violations(tab, source) == [], query
    finally:
        context.close()


def test_an_admin_key_session_is_an_owner(db: Session, client: TestClient, org: OrgHandle) -> None:
    sign_in(client, org.keys.admin_key)
    assert client.get(URL).status_code == 200
