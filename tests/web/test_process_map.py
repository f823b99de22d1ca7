"""The process map on a service's indicators page and in the offline report: the moment-level directly-follows
graph (counts and median times on the arrows, a slider for how many) and the most common paths as moment chips."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery, PerformanceEdge, VariantRead
from momentos.db import unit_of_work
from momentos.web.process_map import MapLabels, moment_graph, variant_rows
from momentos.web.report import render_report
from tests.analytics.scenario import load_shop
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import axe_source, serious_violations
from tests.web.test_pages import sign_in

LABELS = MapLabels(title="Process map", description="d", source="From", target="To", moves="moves",
                   median="median time", variants="Paths", processes="processes", share="Share",
                   arcs_shown="Arrows shown", no_moves="No moves")
MOMENTS = ["awareness", "first_contact", "consideration", "purchase", "support"]
NAMES = {m: m.replace("_", " ").title() for m in MOMENTS}


def _edge(source: str, target: str, frequency: int, median_s: float = 60.0) -> PerformanceEdge:
    return PerformanceEdge(source=source, target=target, frequency=frequency, mean_s=median_s, median_s=median_s)


def test_arcs_are_ranked_by_frequency_and_back_moves_drawn_apart() -> None:
    edges = [_edge("awareness", "first_contact", 9), _edge("first_contact", "purchase", 4),
             _edge("support", "consideration", 2), _edge("purchase", "purchase", 5),
             _edge("other_model_moment", "purchase", 50), _edge("consideration", "purchase", 1)]
    html = str(moment_graph(edges, MOMENTS, NAMES, LABELS, lambda s: f"{s:g}s", str, shown=3))
    # Self-moves and moments outside the journey are left out; the rest ranked by frequency.
    assert html.count('class="process-arc"') == 4
    order = [part.split('"')[0] for part in html.split('data-rank="')[1:]]
    assert order == ["1", "2", "3", "4"]
    first = html.split('data-rank="1"')[1]
    assert 'data-source="awareness" data-target="first_contact" data-frequency="9"' in first
    assert html.split('data-rank="4"')[1].startswith(' data-source="consideration"')
    assert 'style="display:none"' in html.split('data-rank="4"')[1].split(">")[0]  # beyond `shown`
    back = html.split('data-source="support"')[1].split("</g>")[0]
    assert "#db2777" in back and "-back)" in back  # a move back: its own colour and arrow head
    assert 'max="4" value="3"' in html  # the slider


def test_labels_are_escaped_and_variants_are_chips() -> None:
    names = {**NAMES, "awareness": "<b>Aware</b>"}
    html = str(moment_graph([_edge("awareness", "first_contact", 1)], MOMENTS, names, LABELS, str, str))
    assert "<b>" not in html and "&lt;b&gt;Aware&lt;/b&gt;" in html
    rows = str(variant_rows([VariantRead(variant=["awareness", "purchase"], count=3, share=0.75)], names, LABELS,
                            str, lambda v: f"{v:g} %"))
    assert rows.count('class="moment-chip"') == 2 and "3 processes · 75 %" in rows


def test_the_offline_report_holds_the_process_map(db: Session, org: OrgHandle) -> None:
    load_shop(db, org.id)
    html = render_report(db, org.id, AnalyticsQuery(service="shop"), "en")
    edges = analytics.dfg(db, org.id, AnalyticsQuery(service="shop", by="moment"))
    assert html.count('class="process-arc"') == len(edges) == 5
    assert html.count('class="variant-row"') == 4  # alice, bob, carol, dave
    assert "Most common paths" in html and "<script" not in html


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.parametrize("lang", ["es", "en"])
def test_indicators_page_draws_the_process_map_with_a_slider(page: Page, live_server: LiveServer,
                                                              artifacts: Path, lang: str) -> None:
    org = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        load_shop(session, org.id)
        edges = analytics.dfg(session, org.id, AnalyticsQuery(service="shop", by="moment"))
    sign_in(page, live_server, org.keys.admin_key)
    page.goto(f"{live_server.url}/services/shop/indicators?lang={lang}")
    heading = {"es": "Mapa del proceso", "en": "Process map"}[lang]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    arcs = page.locator("#process-map .process-arc")
    expect(arcs).to_have_count(len(edges))
    frequencies = sorted((int(arcs.nth(k).get_attribute("data-frequency") or 0) for k in range(arcs.count())),
                         reverse=True)
    assert frequencies == sorted((e.frequency for e in edges), reverse=True) == [2, 2, 1, 1, 1]
    for k in range(arcs.count()):
        box = arcs.nth(k).locator("path").bounding_box()
        assert box is not None and box["height"] > 0
    page.locator("#process-map").screenshot(path=str(artifacts / f"process-map-all-{lang}.png"))
    page.locator("input[data-process-map]").fill("1")
    expect(page.locator("#process-map .process-arc:visible")).to_have_count(1)
    expect(page.locator("#process-map output")).to_have_text("1")
    expect(page.locator(".variants .variant-row")).to_have_count(4)
    expect(page.locator(".variants .variant-row").first.locator(".moment-chip")).not_to_have_count(0)
    page.locator("#process-map").screenshot(path=str(artifacts / f"process-map-{lang}.png"))
    assert serious_violations(page, axe_source()) == []
