"""The overview's charts and alerts, an alert's own page and the /ops outbox paging with "Retry all", in headless
Chromium against a real server: in Spanish and English, at phone and desktop width (nothing wider than the window),
with axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Customer, Feedback, Need, Notification, PromiseInstance, WarningEpisode
from momentos.notify import outbox
from tests.conftest import LiveServer, OrgHandle
from tests.factories import T0, event
from tests.promises.helpers import define, send_at
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import seed_journeys

pytestmark = [pytest.mark.browser, pytest.mark.live]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
DEAD = 130


def _seed(live_server: LiveServer, org: OrgHandle) -> int:
    """Broken promises, four weeks of survey answers, a need with comments, a spike with its episode and 130 dead
    notifications; returns the episode's id."""
    now = utcnow()
    with unit_of_work(live_server.factory) as s:
        seed_journeys(s, org.id)
        define(s, org.id)
        send_at(s, org.id, T0, *[event(f"p{i}", "order_placed", i) for i in range(6)])
        s.execute(update(PromiseInstance).where(PromiseInstance.org_id == org.id).values(
            state="broken", closed_at=now - timedelta(days=1)))
        service_id = s.scalar(select(PromiseInstance.service_id).where(PromiseInstance.org_id == org.id))
        ana = s.scalar(select(Customer.id).where(Customer.org_id == org.id, Customer.external_id == "ana"))
        need = Need(org_id=org.id, label="late delivery", terms=["late"], created_at=now, updated_at=now)
        s.add(need)
        s.flush()
        rows = [Feedback(org_id=org.id, kind="survey", source="test", external_id=f"w{i}", service_id=service_id,
                         nps=(i * 3) % 11, csat=1 + i % 5, perception={}, occurred_at=now - timedelta(days=3 + 2 * i),
                         created_at=now) for i in range(12)]
        hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        rows += [Feedback(org_id=org.id, kind="comment", source="test", external_id=f"c{i}", service_id=service_id,
                          customer_id=ana, need_id=need.id, text=f"My parcel is late again, order {i}",
                          sentiment="neg", perception={}, occurred_at=hour + timedelta(minutes=3 * i), created_at=now)
                 for i in range(9)]
        s.add_all(rows)
        episode = WarningEpisode(org_id=org.id, scope=f"service:{service_id}", service_id=service_id,
                                 started_at=hour, last_hour_at=hour, count=9, negatives=9,
                                 detail={"expected_count": 1.5}, created_at=now)
        s.add(episode)
        outbox.enqueue_many(s, org.id, [outbox.NotificationIn(ana, "transactional", "generic", f"d{i}",
                                                              {"subject": "s", "text": "t"}) for i in range(DEAD)],
                            now)
        s.execute(update(Notification).where(Notification.org_id == org.id, Notification.dedup_key.like("d%"))
                  .values(status="dead", attempts=5, last_error="smtp: 550"))
        s.flush()
        return episode.id


def _fits(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def test_overview_charts_alert_page_and_ops_paging_in_both_languages_and_widths(
        chromium: Browser, live_server: LiveServer, engine_name: str) -> None:
    org = live_server.new_org()
    episode = _seed(live_server, org)
    email = add_user(live_server, org.id, "owner")
    axe = axe_source() if engine_name == "sqlite" else None
    for width, size in VIEWPORTS.items():
        context = chromium.new_context(locale="es-ES", viewport=size, bypass_csp=axe is not None)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            sign_in_user(page, live_server, email)
            for lang in ("es", "en"):
                page.goto(f"{live_server.url}/overview?lang={lang}")
                expect(page.locator("#chart-promises-shop-title")).to_have_text(
                    "Cumplimiento de promesas: Shop" if lang == "es" else "Promise compliance: Shop")
                expect(page.locator("#chart-promises-shop rect.chart-bar title")).to_have_text(
                    "Plazo · No cumplida: 6" if lang == "es" else "Time · Not kept: 6")
                expect(page.locator("#chart-nps polyline")).to_have_count(1)
                expect(page.locator("#chart-csat circle")).not_to_have_count(0)
                expect(page.locator("svg.sparkline")).to_have_count(1)
                line = page.locator('li[data-alert="early_warning"]')
                expect(line).to_have_count(1)
                expect(line.locator('[data-figure="count"]')).to_have_text("9")
                expect(page.locator('li[data-alert="broken_promises"]')).to_contain_text("Shop")
                _fits(page)
                if axe and lang == "es":
                    assert serious_violations(page, axe) == [], f"/overview {width}"
                line.get_by_role("link").click()
                expect(page).to_have_url(f"{live_server.url}/alerts/{episode}")
                page.goto(f"{live_server.url}/alerts/{episode}?lang={lang}")
                expect(page.locator("[data-mention]")).to_have_count(9)
                expect(page.locator("#chart-timeline svg")).to_be_visible()
                expect(page.locator('[data-figure="negatives"] dd')).to_have_text("9")
                _fits(page)
                if axe and lang == "es":
                    assert serious_violations(page, axe) == [], f"/alerts {width}"
                page.goto(f"{live_server.url}/ops?status=dead&lang={lang}")
                expect(page.locator("tr[data-notification]")).to_have_count(100)
                page.locator('nav.pager a[rel="next"]').first.click()
                expect(page.locator("tr[data-notification]")).to_have_count(DEAD - 100)
                _fits(page)
                if axe and lang == "es":
                    assert serious_violations(page, axe) == [], f"/ops {width}"
            if width == "desktop":  # once: the replay changes the data
                page.goto(f"{live_server.url}/ops?status=dead&lang=en")
                page.get_by_role("button", name=f"Retry all ({DEAD})").click()
                expect(page.locator("[data-replayed]")).to_have_text(f"{DEAD} notifications queued again.")
                expect(page.locator("tr[data-notification]")).to_have_count(0)
                left = live_server.read(lambda s: s.scalars(select(Notification.status).where(
                    Notification.org_id == org.id, Notification.dedup_key.like("d%"))).all())
                assert set(left) == {"pending"} and len(left) == DEAD
        finally:
            context.close()


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])
