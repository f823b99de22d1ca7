"""The listening configuration page in headless Chromium (es and en): the adapter's state with its cross-validated
macro-F1 against the default's, the label count and the time it was decided; each source's rating scale, changed
by a manager (stored, audited, the adapter due for a new decision); axe-core finds nothing serious."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from momentos.audit import service as audit
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.listening.analysis.service import read_settings, settings_of
from momentos.models import Feedback
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user

pytestmark = [pytest.mark.live, pytest.mark.browser]
PAGE = "/config/listening"
DECIDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TEXT = {"en": {"on": "On: sentiment is read with the adapter", "scores": "adapter 0.812, default 0.664",
               "auto": "read as 1 to 5 stars", "saved": "decided again within the hour"},
        "es": {"on": "Activado: el sentimiento se lee con el adaptador",
               "scores": "adaptador 0,812, predeterminado 0,664", "auto": "leída como De 1 a 5 estrellas",
               "saved": "se vuelve a decidir en menos de una hora"}}


def _seed(live_server: LiveServer, org: OrgHandle) -> None:
    with unit_of_work(live_server.factory) as session:
        row = settings_of(session, org.id, DECIDED)
        row.adapter, row.adapter_f1, row.default_f1 = b"fitted", 0.8123, 0.6641
        row.adapter_labels, row.adapter_fitted_at = 1234, DECIDED
        session.add_all([Feedback(org_id=org.id, kind="review", source=source, external_id=f"{source}-{r}",
                                  text="ok", rating=float(r), perception={}, occurred_at=DECIDED, created_at=DECIDED)
                         for source, top in (("shop", 5), ("app", 10)) for r in range(1, top + 1)])


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_page_shows_the_adapters_scores_and_a_manager_sets_a_sources_scale(
        page: Page, live_server: LiveServer, lang: str) -> None:
    org = live_server.new_org()
    _seed(live_server, org)
    sign_in_user(page, live_server, add_user(live_server, org.id, "manager", language=lang))
    page.goto(f"{live_server.url}/config")
    page.locator(f'a[href="{PAGE}"]').click()
    facts = page.locator('[data-adapter="on"]')
    expect(facts.locator('[data-figure="state"]')).to_have_text(TEXT[lang]["on"])
    expect(facts.locator('[data-figure="scores"]')).to_have_text(TEXT[lang]["scores"])
    expect(facts.locator('[data-figure="labels"]')).to_have_text("1,234" if lang == "en" else "1.234")
    # no analysed comment yet: the early warning says it is silent (no history of its own to compare with)
    expect(page.locator('[data-figure="warning-mode"]')).to_have_text("Silent" if lang == "en" else "En silencio")
    expect(page.locator('tr[data-source="shop"] [data-resolved]')).to_have_text(TEXT[lang]["auto"])
    expect(page.locator('tr[data-source="app"] [data-resolved]')).to_have_attribute("data-resolved", "ten")
    assert serious_violations(page, axe_source()) == []

    page.locator('tr[data-source="shop"] select').select_option("off")
    page.locator("#ratings button").click()
    expect(page.locator("[data-adapter-stale]")).to_contain_text(TEXT[lang]["saved"])
    expect(page.locator('tr[data-source="shop"] select')).to_have_value("off")
    row = live_server.read(lambda s: read_settings(s, org.id, DECIDED))
    assert row.rating_scales == {"shop": "off"} and row.adapter_stale
    [entry] = live_server.read(lambda s: audit.entries(s, org.id, action="listening_settings"))
    assert entry.after == {"rating_scales": {"shop": "off"}} and entry.actor_kind == "user"


def test_an_analyst_reads_the_scales_without_a_form(page: Page, live_server: LiveServer) -> None:
    org = live_server.new_org()
    _seed(live_server, org)
    with unit_of_work(live_server.factory) as session:  # three days of analysed comments: a day-to-day baseline
        three_days = utcnow() - timedelta(days=3)
        session.add(Feedback(org_id=org.id, kind="comment", source="app", text="late again", sentiment="neg",
                             perception={}, occurred_at=three_days, created_at=three_days))
    sign_in_user(page, live_server, add_user(live_server, org.id, "analyst", language="en"))
    page.goto(f"{live_server.url}{PAGE}")
    expect(page.locator('tr[data-source="shop"]')).to_contain_text("Automatic")
    expect(page.locator("#ratings form")).to_have_count(0)
    expect(page.locator('[data-figure="warning-mode"]')).to_have_text("Warming up")
