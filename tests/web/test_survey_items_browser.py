"""Perception items from the survey's configuration page, in headless Chromium (es and en): a manager adds one (a
key used twice is refused beside the field, what was typed kept), relabels and removes another; the customer sees
the new item on the survey page at phone width, answers it, and the answer is stored. axe-core clean."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit import service as audit
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.models import Feedback
from tests.conftest import LiveServer, OrgHandle
from tests.listening.helpers import delivery_survey, opted_in
from tests.web.dashboard_helpers import PASSWORD, add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
WORDS: dict[str, dict[str, str]] = {
    "es": {"key": "Clave", "es": "Afirmación en español", "en": "Afirmación en inglés", "add": "Añadir el ítem",
           "save": "Guardar el ítem", "remove": "Quitar el ítem", "send": "Enviar respuestas",
           "taken": "Esta encuesta ya tiene una pregunta con esta clave.", "asked": "Me trataron con amabilidad"},
    "en": {"key": "Key", "es": "Statement in Spanish", "en": "Statement in English", "add": "Add the item",
           "save": "Save the item", "remove": "Remove the item", "send": "Send answers",
           "taken": "This survey already has a question with this key.", "asked": "They treated me kindly"},
}


@pytest.fixture
def survey(live_server: LiveServer) -> tuple[OrgHandle, str]:
    """The shop's delivery survey (one perception item, ``reliability``) and an invitation's token for ana."""
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        now = utcnow()
        made = delivery_survey(session, org.id, now)
        ana = opted_in(session, org.id, "ana", email="ana@example.com", now=now)
        invitation = surveys.invite(session, org.id, made, ana.id, "browser", now)
        assert invitation is not None
        token = surveys.link_token_of(session, invitation)
    assert token is not None
    return org, token


def _stored(live_server: LiveServer, org_id: int) -> list[dict[str, Any]]:
    def read(session: Session) -> list[dict[str, Any]]:
        return [dict(r.perception) for r in session.scalars(select(Feedback).where(Feedback.org_id == org_id))]
    result: list[dict[str, Any]] = live_server.read(read)
    return result


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_manager_adds_an_item_and_the_customer_answers_it_on_a_phone(
        page: Page, live_server: LiveServer, survey: tuple[OrgHandle, str], lang: str,
        request: pytest.FixtureRequest) -> None:
    org, token = survey
    w = WORDS[lang]
    sign_in_user(page, live_server, add_user(live_server, org.id, "manager", language=lang))
    page.goto(f"{live_server.url}/config/surveys")
    page.locator('tr[data-survey="after-delivery"] a').click()
    expect(page.locator("[data-item]")).to_have_count(1)
    form = page.locator("#add-item-form")
    form.get_by_label(w["key"]).fill("reliability")  # taken
    form.get_by_label(w["es"]).fill("Me trataron con amabilidad")
    form.get_by_label(w["en"]).fill("They treated me kindly")
    form.get_by_role("button", name=w["add"]).click()
    expect(page.locator("#n-key-error")).to_have_text(w["taken"])
    expect(page.locator("#n-key")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#n-es")).to_have_value("Me trataron con amabilidad")  # what was typed is kept
    if lang == "es" and request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []
    page.locator("#n-key").fill("courtesy")
    page.locator("#add-item-form").get_by_role("button", name=w["add"]).click()
    expect(page.locator("[data-item]")).to_have_count(2)
    reliability = page.locator('[data-item="reliability"]')
    reliability.get_by_label(w["en"]).fill("They kept their word")
    reliability.get_by_role("button", name=w["save"]).click()
    expect(page.locator('[data-question="reliability"]')).to_contain_text(
        "They kept their word" if lang == "en" else "Cumplieron lo prometido")
    page.locator('[data-item="reliability"]').get_by_role("button", name=w["remove"]).click()
    expect(page.locator("[data-item]")).to_have_count(1)
    expect(page.locator('[data-question="courtesy"]')).to_have_count(1)
    actions = [e.action for e in live_server.read(lambda s: audit.entries(s, org.id, action="survey.update"))]
    assert actions == ["survey.update"] * 3

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/f/{token}?lang={lang}")
    item = page.get_by_role("group", name=w["asked"])
    expect(item).to_be_visible()
    expect(page.get_by_role("group")).to_have_count(4)  # nps, csat, ces and the new item; reliability is gone
    item.get_by_role("radio", name="5").check()
    page.get_by_role("button", name=w["send"]).click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _stored(live_server, org.id) == [{"courtesy": 5}]
    if request.node.callspec.params["engine"] == "sqlite":
        assert serious_violations(page, axe_source()) == []


def test_analysts_read_without_forms_and_bad_items_are_refused_beside_the_field(
        live_server: LiveServer, survey: tuple[OrgHandle, str]) -> None:
    org, _ = survey

    def signed_in(role: str) -> httpx.Client:
        c = httpx.Client(base_url=live_server.url, follow_redirects=False, headers={"Accept-Language": "en"})
        c.post("/login", data={"email": add_user(live_server, org.id, role), "password": PASSWORD,
                               "csrf": csrf_of(c.get("/login").text)})
        return c

    with closing(signed_in("analyst")) as c:
        shown = c.get("/config/surveys/after-delivery")
        assert shown.status_code == 200 and 'id="add-item-form"' not in shown.text
        assert c.post("/config/surveys/after-delivery/items", data={"csrf": csrf_of(shown.text)}).status_code == 403
    with closing(signed_in("manager")) as c:
        token = csrf_of(c.get("/config/surveys/after-delivery").text)
        bad = c.post("/config/surveys/after-delivery/items",
                     data={"key": "Bad Key", "label_es": "", "label_en": "Fine", "csrf": token})
        assert bad.status_code == 400 and 'data-error-for="key"' in bad.text and 'value="Bad Key"' in bad.text
        assert c.post("/config/surveys/after-delivery/items/nope/delete", data={"csrf": token}).status_code == 404
        assert c.post("/config/surveys/nope/items", data={"csrf": token}).status_code == 404
    assert _stored(live_server, org.id) == []
    with unit_of_work(live_server.factory) as session:
        only = surveys.get_survey(session, org.id, "after-delivery")
        only.questions = [q for q in only.questions if q["key"] == "reliability"]
    with closing(signed_in("manager")) as c:
        token = csrf_of(c.get("/config/surveys/after-delivery").text)
        last = c.post("/config/surveys/after-delivery/items/reliability/delete", data={"csrf": token})
        assert last.status_code == 400 and "at least one question" in last.text
