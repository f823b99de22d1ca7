"""Segment rules: validation, and membership evaluated in SQL (the same answers on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.customers.schemas import CustomerUpdate, GroupIn, IdentifyIn
from momentos.customers.service import group, identify, update_customer
from momentos.errors import Conflict, NotFound
from momentos.kit.clock import utcnow
from momentos.segments import service as segments
from momentos.segments.schemas import Condition, SegmentCreate, SegmentUpdate
from tests.conftest import OrgHandle
from tests.factories import T0

PEOPLE: dict[str, dict[str, Any]] = {
    "ana": {"plan": "premium", "age": 34, "vip": True, "country": "ES"},
    "bea": {"plan": "basic", "age": 19.5, "vip": False, "country": "MX"},
    "carla": {"plan": "premium", "age": "unknown", "country": "ES"},
    "dani": {"plan": None, "age": 51},
    "eva": {"plan": 2, "country": "GB"},
    "fer": {},
}


def _people(db: Session, org_id: int) -> None:
    for who, traits in PEOPLE.items():
        identify(db, org_id, IdentifyIn(customer=who, timestamp=T0, traits=traits))
    update_customer(db, org_id, "ana", CustomerUpdate(language="es", timezone="Europe/Madrid"))
    update_customer(db, org_id, "bea", CustomerUpdate(language="en"))
    group(db, org_id, GroupIn(customer="ana", group_id="acme", timestamp=T0, traits={"seats": 40, "tier": "gold"}))
    group(db, org_id, GroupIn(customer="bea", group_id="tiny", timestamp=T0, traits={"seats": 3}))


def _members(db: Session, org_id: int, *rule: dict[str, Any]) -> list[str]:
    segment = segments.create_segment(db, org_id, SegmentCreate.model_validate(
        {"key": f"s{len(segments.list_segments(db, org_id))}", "name_es": "s", "name_en": "s", "rule": list(rule)}),
        utcnow(), actor=Actor.cli("tests"))
    found = sorted(c.external_id for c in segments.preview(db, org_id, segment, limit=100))
    assert segments.count_members(db, org_id, segment) == len(found)
    return found


CASES: list[tuple[list[dict[str, Any]], list[str]]] = [
    ([{"field": "traits.plan", "op": "eq", "value": "premium"}], ["ana", "carla"]),
    ([{"field": "traits.plan", "op": "ne", "value": "premium"}], ["bea", "dani", "eva", "fer"]),
    ([{"field": "traits.plan", "op": "eq", "value": 2}], ["eva"]),
    ([{"field": "traits.plan", "op": "eq", "value": "2"}], []),
    ([{"field": "traits.plan", "op": "in", "value": ["basic", 2]}], ["bea", "eva"]),
    ([{"field": "traits.plan", "op": "exists"}], ["ana", "bea", "carla", "eva"]),
    ([{"field": "traits.plan", "op": "exists", "value": False}], ["dani", "fer"]),
    ([{"field": "traits.age", "op": "gt", "value": 20}], ["ana", "dani"]),
    ([{"field": "traits.age", "op": "lt", "value": 20}], ["bea"]),
    ([{"field": "traits.age", "op": "gt", "value": 19.4}, {"field": "traits.age", "op": "lt", "value": 35}],
     ["ana", "bea"]),
    ([{"field": "traits.vip", "op": "eq", "value": True}], ["ana"]),
    ([{"field": "traits.vip", "op": "eq", "value": False}], ["bea"]),
    ([{"field": "traits.vip", "op": "ne", "value": True}], ["bea", "carla", "dani", "eva", "fer"]),
    ([{"field": "traits.country", "op": "eq", "value": "ES"}, {"field": "traits.plan", "op": "eq",
                                                              "value": "premium"}], ["ana", "carla"]),
    ([{"field": "account_traits.seats", "op": "gt", "value": 10}], ["ana"]),
    ([{"field": "account_traits.tier", "op": "exists"}], ["ana"]),
    ([{"field": "account_id", "op": "in", "value": ["acme", "tiny"]}], ["ana", "bea"]),
    ([{"field": "account_id", "op": "ne", "value": "acme"}], ["bea", "carla", "dani", "eva", "fer"]),
    ([{"field": "language", "op": "eq", "value": "en"}], ["bea"]),
    ([{"field": "timezone", "op": "exists"}], ["ana"]),
    ([{"field": "timezone", "op": "exists", "value": False}], ["bea", "carla", "dani", "eva", "fer"]),
]


@pytest.mark.parametrize(("rule", "expected"), CASES)
def test_membership_is_evaluated_in_sql_for_every_operator(db: Session, org: OrgHandle, rule: list[dict[str, Any]],
                                                           expected: list[str]) -> None:
    _people(db, org.id)
    assert _members(db, org.id, *rule) == expected


def test_membership_follows_trait_changes_and_stays_in_its_organization(db: Session, org: OrgHandle,
                                                                        other_org: OrgHandle) -> None:
    _people(db, org.id)
    _people(db, other_org.id)
    segment = segments.create_segment(db, org.id, SegmentCreate.model_validate({
        "key": "premium", "name_es": "Premium", "name_en": "Premium",
        "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]}), utcnow(), actor=Actor.cli("tests"))
    before = segments.membership_version(db, org.id, "premium")
    identify(db, org.id, IdentifyIn(customer="bea", timestamp=T0, traits={"plan": "premium"}))
    assert [c.external_id for c in segments.preview(db, org.id, segment)] == ["ana", "bea", "carla"]
    assert segments.membership_version(db, org.id, "premium") != before


BAD_RULES: list[Any] = [
    [],
    [{"field": "plan", "op": "eq", "value": "x"}],
    [{"field": "traits.", "op": "eq", "value": "x"}],
    [{"field": "traits.it's", "op": "eq", "value": "x"}],
    [{"field": "traits.plan", "op": "like", "value": "x"}],
    [{"field": "traits.plan", "op": "eq"}],
    [{"field": "traits.plan", "op": "eq", "value": ["x"]}],
    [{"field": "traits.plan", "op": "in", "value": []}],
    [{"field": "traits.plan", "op": "in", "value": "x"}],
    [{"field": "traits.age", "op": "gt", "value": "10"}],
    [{"field": "traits.age", "op": "gt", "value": True}],
    [{"field": "language", "op": "gt", "value": 3}],
    [{"field": "language", "op": "eq", "value": 3}],
    [{"field": "traits.plan", "op": "exists", "value": "yes"}],
    [{"field": "traits.plan", "op": "eq", "value": "x", "extra": 1}],
    [{"field": "traits.plan", "op": "eq", "value": "x" * 201}],
]


@pytest.mark.parametrize("rule", BAD_RULES)
def test_bad_rules_are_refused(rule: Any) -> None:
    with pytest.raises(ValidationError):
        SegmentCreate.model_validate({"key": "s", "name_es": "s", "name_en": "s", "rule": rule})


def test_a_rule_round_trips_through_storage(db: Session, org: OrgHandle) -> None:
    rule = [{"field": "traits.age", "op": "gt", "value": 19.5}, {"field": "traits.plan", "op": "in",
                                                                 "value": ["a", 2]}]
    made = segments.create_segment(db, org.id, SegmentCreate.model_validate(
        {"key": "s", "name_es": "s", "name_en": "s", "rule": rule}), utcnow(), actor=Actor.cli("tests"))
    assert segments.conditions(made) == [Condition.model_validate(c) for c in rule]
    db.expire_all()
    assert segments.get_segment(db, org.id, "s").rule == rule


def test_create_update_delete(db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    data = SegmentCreate.model_validate({"key": "s", "name_es": "Ese", "name_en": "That",
                                         "rule": [{"field": "language", "op": "eq", "value": "es"}]})
    segments.create_segment(db, org.id, data, utcnow(), actor=Actor.cli("tests"))
    with pytest.raises(Conflict):
        segments.create_segment(db, org.id, data, utcnow(), actor=Actor.cli("tests"))
    segments.create_segment(db, other_org.id, data, utcnow(), actor=Actor.cli("tests"))  # keys are per organization
    changed = segments.update_segment(db, org.id, "s", SegmentUpdate(name_en="This"), utcnow(),
        actor=Actor.cli("tests"))
    assert (changed.name_es, changed.name_en, changed.rule[0]["value"]) == ("Ese", "This", "es")
    segments.delete_segment(db, org.id, "s", actor=Actor.cli("tests"))
    with pytest.raises(NotFound):
        segments.get_segment(db, org.id, "s")
    assert [s.key for s in segments.list_segments(db, other_org.id)] == ["s"]
