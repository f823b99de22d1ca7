"""The listening pages in headless Chromium: a manager renames a need, marks it addressed and reopens it, merges two
needs (checked in the database); the feedback inbox narrows with its filters, keeps them in the form, explains a bad
one, and opens each comment's customer and process; analysts read without forms. axe-core clean, es and en."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Need
from tests.conftest import LiveServer, OrgHandle
from tests.listening.seed import Seeded, seed_needs
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def listening(live_server: LiveServer) -> tuple[OrgHandle, Seeded]:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seeded = seed_needs(session, org.id, utcnow())
    return org, seeded


def _need(live_server: LiveServer, need_id: int) -> Need:
    def read(session: object) -> Need:
        need = session.get_one(Need, need_id)  # type: ignore[attr-defined]
        session.expunge(need)  # type: ignore[attr-defined]
        return need  # type: ignore[no-any-return]
    return live_server.read(read)  # type: ignore[no-any-return]


def test_a_manager_renames_addresses_and_merges_needs(page: Page, live_server: LiveServer,
                                                      listening: tuple[OrgHandle, Seeded]) -> None:
    org, seeded = listening
    late, kind, cold = seeded.needs
    sign_in_user(page, live_server, add_user(live_server, org.id, "manager"))
    page.goto(f"{live_server.url}/listening/needs")
    expect(page.locator("tr[data-need]")).to_have_count(3)
    expect(page.locator(f'tr[data-need="{late}"] [data-figure="comments"]')).to_have_text("3")
    expect(page.locator(f'tr[data-need="{late}"]')).to_contain_text("Decisión y compra")  # a moment's name
    assert page.locator("svg.sparkline").count() == 3
    assert serious_violations(page, axe_source()) == []
    page.get_by_role("link", name="envío tarde").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("envío tarde")
    expect(page.locator('[data-list="customers"] a')).to_have_text(["ana", "bea", "eva"])
    expect(page.locator("li.feedback-item")).to_have_count(3)
    assert serious_violations(page, axe_source()) == []
    page.get_by_label("Nombre", exact=True).fill("x" * 201)
    page.get_by_role("button", name="Renombrar").click()
    expect(page.locator("#need-name-error")).to_be_visible()
    expect(page.get_by_label("Nombre", exact=True)).to_have_value("x" * 201)  # what was typed is kept
    page.get_by_label("Nombre", exact=True).fill("Entregas tardías")
    page.get_by_role("button", name="Renombrar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entregas tardías")
    assert _need(live_server, late).name == "Entregas tardías"
    page.get_by_role("button", name="Marcar como atendida").click()
    expect(page.locator('[data-state="addressed"]')).to_be_visible()
    assert _need(live_server, late).addressed_at is not None
    page.get_by_role("button", name="Reabrir").click()
    expect(page.locator('[data-state="addressed"]')).to_have_count(0)
    assert _need(live_server, late).addressed_at is None
    page.goto(f"{live_server.url}/listening/needs")
    page.get_by_role("button", name="Fusionar").click()  # nothing ticked, nothing chosen: the browser asks
    page.get_by_label("Fusionar las necesidades marcadas en").select_option(str(kind))
    page.get_by_role("button", name="Fusionar").click()
    expect(page.locator("#merge-error")).to_be_visible()
    page.locator(f"#merge-{cold}").check()
    page.get_by_label("Fusionar las necesidades marcadas en").select_option(str(kind))
    page.get_by_role("button", name="Fusionar").click()
    expect(page).to_have_url(re.compile(rf"/listening/needs/{kind}$"))
    expect(page.locator("li.feedback-item")).to_have_count(4)
    assert _need(live_server, cold).merged_into_id == kind
    page.goto(f"{live_server.url}/listening/needs")
    expect(page.locator("tr[data-need]")).to_have_count(2)


def test_the_inbox_filters_and_opens_customers_and_processes(page: Page, live_server: LiveServer,
                                                             listening: tuple[OrgHandle, Seeded]) -> None:
    org, seeded = listening
    sign_in_user(page, live_server, add_user(live_server, org.id, "analyst"))
    page.goto(f"{live_server.url}/listening/feedback?lang=en")
    items = page.locator("li.feedback-item")
    expect(items).to_have_count(7)
    expect(items.first.locator('[data-part="sentiment"]')).to_have_text("Negative")
    expect(items.first.locator('[data-part="moment"]')).to_have_text("Purchase")
    expect(items.first.locator('[data-part="source"]')).to_have_text("Survey")
    assert serious_violations(page, axe_source()) == []
    page.get_by_label("Service").select_option(label="Bistro")
    page.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(3)
    page.get_by_label("Sentiment").select_option(label="Negative")
    page.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(2)
    expect(page.get_by_label("Service")).to_have_value("bistro")  # the filters stay in the form
    page.get_by_label("Need").select_option(label="comida fría")
    page.get_by_label("Source").select_option(label="social")
    page.get_by_role("button", name="Apply").click()
    expect(items).to_have_count(2)
    expect(items.nth(1).locator('[data-link="customer"]')).to_have_text("Customer gus")
    items.nth(1).locator('[data-link="customer"]').click()
    expect(page).to_have_url(re.compile(r"/customers/gus$"))
    page.go_back()
    items.nth(1).locator('[data-link="process"]').click()
    expect(page).to_have_url(re.compile(rf"/customers/gus#process-{seeded.processes['gus']}$"))
    expect(page.locator(f"#process-{seeded.processes['gus']}")).to_be_visible()
    response = page.goto(f"{live_server.url}/listening/feedback?moment=nowhere&sentiment=neg")
    assert response is not None and response.status == 400
    expect(page.locator("#fi-moment-error")).to_be_visible()
    expect(page.get_by_label("Sentiment")).to_have_value("neg")
    assert serious_violations(page, axe_source()) == []
    page.goto(f"{live_server.url}/listening/needs/{seeded.needs[0]}")
    expect(page.get_by_role("button", name="Rename")).to_have_count(0)  # analysts read, change nothing
    expect(page.locator("li.feedback-item")).to_have_count(3)
