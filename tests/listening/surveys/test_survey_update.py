"""Changing a survey after it was defined (``surveys.update_survey``, ``PATCH /api/v1/surveys/{key}``): perception
items added, relabelled and removed, titles and validity changed; the audit log keeps what changed; bad changes are
refused with the field named; answers to a removed item stay stored under its key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.audit import service as audit
from momentos.audit.service import Actor
from momentos.errors import NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import AnswerIn, SurveyUpdate
from tests.conftest import OrgHandle
from tests.listening.helpers import delivery_survey, opted_in

ACTOR = Actor.cli("tests")
COURTESY = {"es": "Me trataron con amabilidad", "en": "They treated me kindly"}


def test_a_perception_item_added_is_asked_before_the_comment_and_recorded(db: Session, org: OrgHandle) -> None:
    survey = delivery_survey(db, org.id, utcnow())
    questions, at = surveys.with_item(survey.questions, "courtesy", COURTESY)
    surveys.update_survey(db, org.id, survey.key, SurveyUpdate.model_validate({"questions": questions}),
                          actor=ACTOR)
    assert [q["key"] for q in survey.questions] == ["nps", "csat", "ces", "reliability", "courtesy", "comment"]
    assert at == 4 and [q["key"] for q in surveys.perception_items(survey)] == ["reliability", "courtesy"]
    [entry] = audit.entries(db, org.id, action="survey.update")
    assert entry.target == "survey:after-delivery" and "perception:courtesy" in str(entry.after)


def test_an_item_is_relabelled_and_removed_and_its_old_answers_stay(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    survey = delivery_survey(db, org.id, now)
    invitation = surveys.invite(db, org.id, survey, opted_in(db, org.id, "bea", email="b@example.com", now=now).id,
                                "k1", now)
    assert invitation is not None
    row = surveys.answer(db, invitation, AnswerIn(perception={"reliability": 4}), now)
    relabelled = surveys.relabelled(survey.questions, "reliability", COURTESY)
    surveys.update_survey(db, org.id, survey.key, SurveyUpdate.model_validate({"questions": relabelled}),
                          actor=ACTOR)
    assert surveys.perception_items(survey)[0]["label"] == COURTESY
    surveys.update_survey(db, org.id, survey.key, SurveyUpdate.model_validate(
        {"questions": surveys.without_item(survey.questions, "reliability")}), actor=ACTOR)
    assert surveys.perception_items(survey) == []
    assert row.perception == {"reliability": 4}
    with pytest.raises(ValidationFailed):  # no longer asked
        surveys.answer(db, invitation, AnswerIn(perception={"reliability": 5}), now)
    with pytest.raises(NotFound):
        surveys.without_item(survey.questions, "reliability")
    with pytest.raises(NotFound):
        surveys.relabelled(survey.questions, "nps", COURTESY)  # not a perception item


def test_titles_validity_and_sending_change_and_only_what_changed_is_audited(db: Session, org: OrgHandle) -> None:
    survey = delivery_survey(db, org.id, utcnow())
    surveys.update_survey(db, org.id, survey.key, SurveyUpdate(title_en="Your parcel", valid_hours=24, active=False),
                          actor=ACTOR)
    assert (survey.title_es, survey.title_en, survey.valid_hours, survey.active) == (
        "Tu entrega", "Your parcel", 24, False)
    assert surveys.attached(db, org.id) == {}  # no longer sent on entering the moment
    [entry] = audit.entries(db, org.id, action="survey.update")
    assert entry.before == {"title_en": "Your delivery", "valid_hours": 72, "active": True}
    with pytest.raises(NotFound):
        surveys.update_survey(db, org.id, "nope", SurveyUpdate(title_en="x"), actor=ACTOR)


def test_a_question_key_used_twice_is_refused_naming_the_key() -> None:
    twice = [{"key": "a", "kind": "perception", "label": COURTESY}] * 2
    with pytest.raises(ValidationError) as caught:
        SurveyUpdate.model_validate({"questions": twice})
    [error] = caught.value.errors()
    assert error["type"] == "duplicate_question_key" and error["ctx"] == {"field": "key"}


def test_the_api_changes_a_survey_and_refuses_bad_input(client: TestClient, db: Session, org: OrgHandle) -> None:
    delivery_survey(db, org.id, utcnow())
    questions = [{"key": "image", "kind": "perception", "label": COURTESY}]
    ok = client.patch("/api/v1/surveys/after-delivery", json={"questions": questions}, headers=org.admin)
    assert ok.status_code == 200 and ok.json()["questions"] == questions
    bad = client.patch("/api/v1/surveys/after-delivery", json={"questions": questions * 2}, headers=org.admin)
    assert bad.status_code == 422 and bad.json()["code"]
    assert client.patch("/api/v1/surveys/nope", json={"active": False}, headers=org.admin).status_code == 404
    assert client.patch("/api/v1/surveys/after-delivery", json={"active": False},
                        headers=org.writer).status_code == 403
