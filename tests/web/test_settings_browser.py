"""The owners' access settings in headless Chromium, in Spanish and in English: create a key and see it once,
rotate the admin key with a grace period, revoke a key, disable and enable a person; axe-core on both pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.audit.service import entries
from momentos.orgs.service import authenticate
from momentos.users import service as users
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    return live_server.new_org()


def test_an_owner_manages_keys_in_spanish(page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    owner = add_user(live_server, shop.id, "owner")
    sign_in_user(page, live_server, owner)
    page.goto(f"{live_server.url}/customers")
    page.get_by_role("link", name="Acceso").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Claves de API")
    page.get_by_label("Tipo").select_option("write")
    page.get_by_label("Nombre").fill("tienda en línea")
    page.get_by_role("button", name="Crear la clave").click()
    expect(page.get_by_role("status")).to_contain_text("no se volverá a mostrar")
    secret = page.locator("[data-secret]").input_value()
    made = live_server.read(lambda s: authenticate(s, secret))
    assert made is not None and made.kind == "write"
    page.goto(f"{live_server.url}/settings/keys")  # shown once: not on the page again
    expect(page.locator("[data-secret]")).to_have_count(0)
    assert secret not in page.content()
    page.get_by_role("button", name=f"Revocar la clave {secret[:10]}").click()
    expect(page.locator(f'tr[data-key="{made.key_id}"]')).to_have_attribute("data-state", "revoked")
    assert live_server.read(lambda s: authenticate(s, secret)) is None
    admin_id = live_server.read(lambda s: authenticate(s, shop.keys.admin_key)).key_id
    row = page.locator(f'tr[data-key="{admin_id}"]')
    row.get_by_role("button", name=f"Revocar la clave {shop.keys.admin_key[:10]}").click()
    expect(page.get_by_role("alert")).to_contain_text("última clave de administración")
    row = page.locator(f'tr[data-key="{admin_id}"]')
    row.get_by_label("La clave antigua funciona durante (horas)").fill("24")
    row.get_by_role("button", name=f"Rotar la clave {shop.keys.admin_key[:10]}").click()
    expect(page.get_by_role("status")).to_contain_text("sigue funcionando hasta")
    rotated = page.locator("[data-secret]").input_value()
    assert rotated.startswith("ma_")
    assert live_server.read(lambda s: authenticate(s, shop.keys.admin_key)) is not None  # grace period
    expect(page.locator(f'tr[data-key="{admin_id}"]')).to_have_attribute("data-state", "expiring")
    actions = [e.action for e in live_server.read(lambda s: entries(s, shop.id, action="key"))]
    assert actions == ["key.rotate", "key.create", "key.revoke", "key.create"]


def test_an_owner_disables_and_enables_a_person_in_english(page: Page, chromium: Browser,
                                                           live_server: LiveServer, shop: OrgHandle,
                                                           request: pytest.FixtureRequest) -> None:
    owner = add_user(live_server, shop.id, "owner", language="en")
    agent = add_user(live_server, shop.id, "agent")
    sign_in_user(page, live_server, owner)
    page.goto(f"{live_server.url}/settings/keys")
    page.get_by_role("link", name="People").click()
    row = page.locator(f'tr[data-person="{agent}"]')
    expect(row).to_have_attribute("data-state", "active")
    row.get_by_role("button", name=f"Disable {agent}").click()
    row = page.locator(f'tr[data-person="{agent}"]')
    expect(row).to_have_attribute("data-state", "disabled")
    expect(row).to_contain_text("Disabled")
    assert live_server.read(lambda s: users.check_password(s, agent, "a long enough test password")) is None
    row.get_by_role("button", name=f"Enable {agent}").click()
    expect(page.locator(f'tr[data-person="{agent}"]')).to_have_attribute("data-state", "active")
    role = page.locator(f'tr[data-person="{agent}"]').get_by_label(f"Role of {agent}", exact=True)
    role.select_option("analyst")
    page.get_by_role("button", name=f"Change the role of {agent}").click()
    expect(page.locator(f'tr[data-person="{agent}"]').get_by_label(f"Role of {agent}", exact=True)
           ).to_have_value("analyst")
    expect(page.locator(f'tr[data-person="{owner}"]')).to_contain_text("(you)")
    log = live_server.read(lambda s: [(e.action, e.actor_label) for e in entries(s, shop.id, action="user")])
    assert log == [("user.role", owner), ("user.enable", owner), ("user.disable", owner)]

    if request.node.callspec.params["engine"] != "sqlite":
        return  # the accessibility audit does not depend on the database
    source = axe_source()
    for lang in ("es", "en"):
        context = chromium.new_context(locale=lang, viewport={"width": 390, "height": 844}, bypass_csp=True)
        try:
            tab = context.new_page()
            sign_in_user(tab, live_server, owner)
            for path in ("/settings/keys", "/settings/people"):
                tab.goto(f"{live_server.url}{path}?lang={lang}")
                assert serious_violations(tab, source) == [], (lang, path)
        finally:
            context.close()
