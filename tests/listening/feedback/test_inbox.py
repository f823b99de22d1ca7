"""The feedback inbox query: newest first, paged, narrowed by service, moment, sentiment, source and need; bad
filters are refused with the parameter named. Both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.errors import ValidationFailed
from momentos.kit.clock import utcnow
from momentos.listening.feedback import service as feedback
from tests.conftest import OrgHandle, make_org
from tests.listening.seed import COMMENTS, seed_needs


def _texts(rows: list[tuple[object, str | None]]) -> list[str]:
    return [f.text for f, _ in rows]  # type: ignore[attr-defined]


def test_the_inbox_lists_newest_first_and_pages_on(db: Session, org: OrgHandle) -> None:
    seed_needs(db, org.id, utcnow())
    everything = feedback.inbox(db, org.id, feedback.FeedbackFilter(), limit=100)
    assert _texts(everything) == [c[6] for c in COMMENTS]  # seeded from the newest
    assert [ext for _, ext in everything][:2] == ["ana", "bea"]
    first = feedback.inbox(db, org.id, feedback.FeedbackFilter(), limit=3)
    second = feedback.inbox(db, org.id, feedback.FeedbackFilter(), limit=3, before_id=first[-1][0].id)
    assert _texts(first + second) == [c[6] for c in COMMENTS][:6]


def test_each_filter_narrows_the_inbox(db: Session, org: OrgHandle) -> None:
    seeded = seed_needs(db, org.id, utcnow())

    def texts(**asked: object) -> list[str]:
        return _texts(feedback.inbox(db, org.id, feedback.make_filter(db, org.id, **asked), limit=100))  # type: ignore[arg-type]

    assert texts(service="bistro") == ["Reservar fue fácil", "La comida llegó fría", "Plato frío y sin sabor"]
    assert texts(service="shop", moment="delivery") == ["Muy amables en la entrega"]
    assert texts(sentiment="neg", source="social") == ["La comida llegó fría", "Plato frío y sin sabor"]
    assert texts(need_id=seeded.needs[1]) == ["Muy amables en la entrega", "Reservar fue fácil"]
    assert texts(source="nowhere") == []


@pytest.mark.parametrize(("asked", "field"), [({"service": "nope"}, "service"), ({"moment": "nope"}, "moment"),
                                              ({"sentiment": "angry"}, "sentiment"), ({"need_id": 999999}, "need")])
def test_a_bad_filter_is_refused_naming_the_parameter(db: Session, org: OrgHandle, asked: dict[str, object],
                                                      field: str) -> None:
    seed_needs(db, org.id, utcnow())
    with pytest.raises(ValidationFailed) as caught:
        feedback.make_filter(db, org.id, **asked)  # type: ignore[arg-type]
    assert caught.value.detail["field"] == field


def test_another_organizations_need_is_not_a_filter(db: Session, org: OrgHandle) -> None:
    other = make_org(db)
    theirs = seed_needs(db, other.id, utcnow())
    with pytest.raises(ValidationFailed):
        feedback.make_filter(db, org.id, need_id=theirs.needs[0])
    assert feedback.inbox(db, org.id, feedback.FeedbackFilter(), limit=10) == []


def test_the_api_lists_feedback_with_the_same_filters(client: TestClient, db: Session, org: OrgHandle) -> None:
    seed_needs(db, org.id, utcnow())
    r = client.get("/api/v1/feedback", params={"service": "bistro", "sentiment": "neg"}, headers=org.admin)
    assert r.status_code == 200, r.text
    assert sorted(f["text"] for f in r.json()) == ["La comida llegó fría", "Plato frío y sin sabor"]
    r = client.get("/api/v1/feedback", params={"moment": "nope"}, headers=org.admin)
    assert r.status_code == 422 and r.json()["code"] == "bad_filter" and r.json()["detail"]["field"] == "moment"
    assert client.get("/api/v1/feedback", params={"sentiment": "x"}, headers=org.admin).status_code == 422
