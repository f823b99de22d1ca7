"""The journey map's promise, emotion and needs rows, the overview's compliance and alerts, and the customer view's
promises and feedback come from the promises and listening services: same numbers, placed in their moments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.dashboard import customer as customer_view
from momentos.dashboard import journey_map
from momentos.dashboard.drill import drill
from momentos.dashboard.filters import MapFilters
from momentos.dashboard.overview import alerts, summaries
from momentos.dashboard.sources import alert_sources, map_rows
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate, SurveyResponseIn
from momentos.models import Customer, Feedback, Need, WarningEpisode
from momentos.promises import indicators
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service
from tests.promises.helpers import define, send_at


@pytest.fixture
def shop(db: Session, org: OrgHandle) -> OrgHandle:
    make_service(db, org.id)
    define(db, org.id)  # order_placed → order_delivered within 48 hours, on the purchase moment
    later = T0 + timedelta(days=5)
    send_at(db, org.id, later,
            event("ana", "order_placed", 0), event("ana", "order_delivered", 60),  # kept
            event("bea", "order_placed", 1), event("bea", "order_delivered", 60 * 72),  # broken, put right
            event("eva", "order_placed", 2))  # broken, still owed at T0 + 5 days
    survey = surveys.create_survey(db, org.id, SurveyCreate.model_validate({
        "key": "after-delivery", "title_es": "Tu entrega", "title_en": "Your delivery", "service": "shop",
        "moment": "delivery", "questions": [
            {"key": "csat", "kind": "csat", "label": {"es": "¿Satisfecho?", "en": "Satisfied?"}},
            {"key": "nps", "kind": "nps", "label": {"es": "¿Recomendarías?", "en": "Recommend?"}}]}), later,
                actor=Actor.cli("tests"))
    for who, csat, nps in (("ana", 5, 10), ("bea", 2, 3)):
        surveys.record_response(db, org.id, survey, SurveyResponseIn(customer=who, csat=csat, nps=nps,
                                                                     occurred_at=later), later)
    return org


def test_map_rows_show_compliance_and_emotion_from_the_services(db: Session, shop: OrgHandle) -> None:
    m = journey_map.journey_map(db, shop.id, "shop", MapFilters(), rows=map_rows())
    rows = {r.key: r for r in m.extra_rows}
    promises = rows["promises"].cells
    assert promises is not None and set(promises) == {"purchase"}
    parts = dict(promises["purchase"].parts)
    (ind,) = indicators.compliance(db, shop.id, by="moment", period="all", service_id=m.service.id)
    assert (ind.kept, ind.broken) == (1, 2)
    assert parts == {"Compliance": "33 %", "Kept": "1", "Not kept": "2", "Open": "0"}
    assert promises["purchase"].drill == "broken_promises"
    listed = drill(db, shop.id, "shop", MapFilters(), "purchase", "broken_promises")
    assert sorted(r.customer for r in listed.rows) == ["bea", "eva"]
    emotion = rows["emotion"].cells
    assert emotion is not None and set(emotion) == {"delivery"}
    e = dict(emotion["delivery"].parts)
    assert e["Answers"] == "2" and e["CSAT (1–5)"] == "3.5" and e["NPS"] == "+0"
    assert rows["needs"].cells is None  # no analysed comments: the row says so
    canonical = journey_map.journey_map(db, shop.id, "shop", MapFilters(view="canonical"), rows=map_rows())
    assert {r.key: r.cells for r in canonical.extra_rows}["promises"] == rows["promises"].cells


def test_overview_compliance_and_broken_promise_alert(db: Session, shop: OrgHandle) -> None:
    (summary,) = summaries(db, shop.id)
    assert summary.promises is not None and (summary.promises.kept, summary.promises.broken) == (1, 2)
    # eva's promise is still owed, bea's was put right late: one unrecovered broken promise
    assert indicators.unrecovered_broken(db, shop.id, T0) == {summary.service.id: 1}
    # T0 is months ago: broken promises closed more than 7 days ago are no longer active alerts
    assert "broken_promises" not in {a.kind for a in alerts(db, shop.id, alert_sources())}


def test_customer_view_lists_promises_and_feedback(db: Session, shop: OrgHandle) -> None:
    eva = db.query(Customer).filter_by(org_id=shop.id, external_id="eva").one()
    bea = db.query(Customer).filter_by(org_id=shop.id, external_id="bea").one()
    (p,) = customer_view.promises_of(db, shop.id, eva.id, "es")
    assert p.state == "broken" and p.text == "Tu pedido llega en 2 días" and p.due_at is not None
    assert customer_view.promises_of(db, shop.id, eva.id, "en")[0].text == "Your order arrives within 2 days"
    fb = customer_view.feedback_of(db, shop.id, bea.id)
    assert [(f.csat, f.nps) for f in fb] == [(2, 3)]
    assert customer_view.feedback_of(db, shop.id, eva.id) == []
    assert db.query(Feedback).filter_by(org_id=shop.id).count() == 2


def test_needs_row_and_early_warning_alert(db: Session, shop: OrgHandle) -> None:
    now = utcnow()
    service_id = journey_map.journey_map(db, shop.id, "shop", MapFilters(), rows=map_rows()).service.id
    late = Need(org_id=shop.id, label="late delivery", terms=["late"], created_at=now, updated_at=now)
    other = Need(org_id=shop.id, label="app crashes", terms=["app"], created_at=now, updated_at=now)
    db.add_all([late, other])
    db.flush()
    for i, (need, moment, service) in enumerate(((late, "delivery", service_id), (late, "delivery", service_id),
                                                 (other, "purchase", None))):
        db.add(Feedback(org_id=shop.id, kind="comment", source="test", external_id=f"n{i}", text=f"comment {i}",
                        service_id=service, moment=moment, need_id=need.id, sentiment="neg", perception={},
                        occurred_at=now - timedelta(hours=1), created_at=now))
    db.flush()
    shown = journey_map.journey_map(db, shop.id, "shop", MapFilters(), rows=map_rows())
    cells = {r.key: r.cells for r in shown.extra_rows}["needs"]
    assert cells is not None and {m: c.parts for m, c in cells.items()} == {"delivery": (("Need", "late delivery"),)}
    assert "early_warning" not in {a.kind for a in alerts(db, shop.id, alert_sources())}
    db.add(WarningEpisode(org_id=shop.id, scope="org", started_at=now - timedelta(hours=2),
                          last_hour_at=now - timedelta(hours=1), count=40, negatives=30, detail={}, created_at=now))
    db.flush()
    found = {a.kind: a for a in alerts(db, shop.id, alert_sources())}
    # the count is the episode's negative mentions themselves (the three comments of the last hour), not the
    # figure stored for its first alarm hour
    assert found["early_warning"].count == 3 and found["early_warning"].service is None
