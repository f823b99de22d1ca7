"""A score rule for a quality promise, defined from the page in headless Chromium (es and en): a rule missing a part
or with a score that is not a number keeps every field as typed and shows the precise message beside the field at
fault; a complete one is stored."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from momentos.db import unit_of_work
from momentos.promises import definitions
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import seed_journeys

pytestmark = [pytest.mark.live, pytest.mark.browser]

TYPED = {"#p-key": "valoracion-entrega", "#p-text-es": "Tu entrega merece un 4 de 5",
         "#p-text-en": "Your delivery deserves a 4 out of 5", "#p-start": "order_delivered",
         "#p-score-activity": "delivery_rated", "#p-score-property": "rating", "#p-failures": "",
         "#p-hours": "72"}
NEEDS_MIN = {"en": "A score rule needs the lowest score that keeps the promise (or failure activities).",
             "es": "Una regla de puntuación necesita la puntuación mínima que cumple la promesa (o actividades de "
                   "fallo)."}
NOT_A_NUMBER = {"en": "Enter a number.", "es": "Escribe un número."}


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    return org


def _fill(page: Page, min_score: str) -> None:
    for selector, value in TYPED.items():
        page.locator(selector).fill(value)
    page.locator("#p-moment").select_option("delivery")
    page.locator("#p-kind").select_option("quality")
    page.locator("#p-rule").select_option("score")
    page.locator("#p-min-score").fill(min_score)
    page.locator('button[value="save"]').click()


def _kept_everything(page: Page, min_score: str) -> None:
    for selector, value in TYPED.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#p-min-score")).to_have_value(min_score)
    expect(page.locator("#p-moment")).to_have_value("delivery")
    expect(page.locator("#p-kind")).to_have_value("quality")
    expect(page.locator("#p-rule")).to_have_value("score")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_bad_score_rule_keeps_every_field_and_says_what_is_wrong_beside_it(
        page: Page, chromium: Browser, live_server: LiveServer, shop: OrgHandle, lang: str,
        request: pytest.FixtureRequest) -> None:
    sign_in_user(page, live_server, add_user(live_server, shop.id, "manager", language=lang))
    page.goto(f"{live_server.url}/config/services/shop/promises")
    expect(page.locator("html")).to_have_attribute("lang", lang)

    _fill(page, "")
    error = page.locator("#p-min-score-error")
    expect(error).to_have_text(NEEDS_MIN[lang])
    expect(page.locator("#p-min-score")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#p-min-score")).to_have_attribute("aria-describedby", "p-min-score-error")
    assert page.locator(".field-error").count() == 1  # beside that field only
    expect(page.get_by_role("alert")).to_be_visible()
    _kept_everything(page, "")
    if lang == "es" and request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []

    page.locator("#p-min-score").fill("cuatro")
    page.locator('button[value="save"]').click()
    expect(page.locator("#p-min-score-error")).to_have_text(NOT_A_NUMBER[lang])
    _kept_everything(page, "cuatro")
    assert live_server.read(lambda s: definitions.list_definitions(s, shop.id, "shop")) == []

    page.locator("#p-min-score").fill("4")
    page.locator('button[value="save"]').click()
    expect(page.locator('tr[data-promise="valoracion-entrega"]')).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)
    [row] = live_server.read(lambda s: definitions.list_definitions(s, shop.id, "shop"))
    assert (row.kind, row.rule["type"], row.rule["score_activity"], row.rule["score_property"],
            row.rule["min_score"], row.rule["failure_activities"], row.rule["window_hours"]) == (
        "quality", "score", "delivery_rated", "rating", 4.0, [], 72.0)
