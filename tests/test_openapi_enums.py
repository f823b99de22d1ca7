"""/openapi.json lists the allowed values of every closed field, taken from the code's own source of truth.

Each row names a schema, a field and where its values come from. A value added in the code and forgotten in the
schema (or a field turned back into a plain string) fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from momentos.app import create_app
from momentos.catalog.contact_levels import Intensity, Level
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.catalog.schemas import CHANNELS as CATALOG_CHANNELS
from momentos.catalog.schemas import ContactChannel, Initiator
from momentos.customers.schemas import ConsentChannel, ConsentPurpose
from momentos.events.schemas import EventType
from momentos.kit.i18n import LANGUAGES
from momentos.listening.analysis.sentiment import LABELS as SENTIMENTS
from momentos.listening.feedback.schemas import FeedbackKind
from momentos.listening.surveys.schemas import QuestionKind
from momentos.notify.outbox import STATUSES
from momentos.orgs.schemas import KeyKind
from momentos.policy.engine import CHANNELS, PURPOSES, Outcome
from momentos.policy.schemas import Channel, Priority, Purpose
from momentos.promises.schemas import Kind
from tests import conftest

CLOSED: list[tuple[str, str, tuple[str, ...]]] = [
    # the catalog: canonical moments, contact levels, initiators, intensities, contact channels
    ("MomentIn", "maps_to", CANONICAL_KEYS),
    ("MomentRead", "maps_to", CANONICAL_KEYS),
    ("ServiceCreate", "level_override", get_args(Level)),
    ("ServiceUpdate", "level_override", get_args(Level)),
    ("ServiceUpdate", "contact_details", get_args(ContactChannel)),
    ("ServiceRead", "contact_level", get_args(Level)),
    ("LevelExplanation", "assessed_level", get_args(Level)),
    ("LevelExplanation", "effective_level", get_args(Level)),
    ("LevelExplanation", "override", get_args(Level)),
    ("TouchpointCreate", "initiator", get_args(Initiator)),
    ("TouchpointCreate", "intensity", get_args(Intensity)),
    ("TouchpointRead", "initiator", get_args(Initiator)),
    ("TouchpointRead", "intensity", get_args(Intensity)),
    # events
    ("EventRead", "type", get_args(EventType)),
    ("EventRead", "initiator", get_args(Initiator)),
    # consents and the contact policy
    ("ConsentIn", "channel", get_args(ConsentChannel)),
    ("ConsentIn", "purpose", get_args(ConsentPurpose)),
    ("ConsentRead", "channel", get_args(ConsentChannel)),
    ("ConsentRead", "purpose", get_args(ConsentPurpose)),
    ("ConsentEventRead", "channel", get_args(ConsentChannel)),
    ("ConsentEventRead", "purpose", get_args(ConsentPurpose)),
    ("DecisionRead", "purpose", get_args(Purpose)),
    ("DecisionRead", "priority", get_args(Priority)),
    ("DecisionRead", "outcome", get_args(Outcome)),
    ("DecisionRead", "channel", get_args(Channel)),
    # notifications and requested contacts
    ("ContactRequest", "purpose", get_args(Purpose)),
    ("ContactRequest", "priority", get_args(Priority)),
    ("NotificationRead", "purpose", get_args(Purpose)),
    ("NotificationRead", "priority", get_args(Priority)),
    ("NotificationRead", "channel", get_args(Channel)),
    ("ContactRead", "purpose", get_args(Purpose)),
    ("ContactRead", "channel", get_args(Channel)),
    ("ContactDecisionBrief", "outcome", get_args(Outcome)),
    ("ContactDecisionBrief", "channel", get_args(Channel)),
    ("AttemptRead", "channel", get_args(Channel)),
    ("SwitchRead", "from_channel", get_args(Channel)),
    ("SwitchRead", "to_channel", get_args(Channel)),
    # listening and promises
    ("FeedbackIn", "kind", get_args(FeedbackKind)),
    ("FeedbackRead", "kind", get_args(FeedbackKind)),
    ("FeedbackRead", "sentiment", SENTIMENTS),
    ("QuestionIn", "kind", get_args(QuestionKind)),
    ("PromiseCreate", "kind", get_args(Kind)),
    ("PromiseRead", "kind", get_args(Kind)),
    # keys
    ("KeyCreate", "kind", get_args(KeyKind)),
    ("KeyRead", "kind", get_args(KeyKind)),
]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with TestClient(create_app(conftest.test_settings())) as client:
        r = client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def _enums(node: Any) -> Iterator[list[Any]]:
    """Every ``enum`` under a property's schema (through anyOf, items, dictionary keys and values)."""
    if isinstance(node, dict):
        if "enum" in node:
            yield node["enum"]
        for value in node.values():
            yield from _enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enums(value)


@pytest.mark.parametrize(("schema", "field", "values"), CLOSED, ids=[f"{s}.{f}" for s, f, _ in CLOSED])
def test_a_closed_field_lists_its_allowed_values(spec: dict[str, Any], schema: str, field: str,
                                                  values: tuple[str, ...]) -> None:
    prop = spec["components"]["schemas"][schema]["properties"][field]
    found = [list(enum) for enum in _enums(prop) if enum != [None]]
    assert found, f"{schema}.{field} is not a closed set in /openapi.json"
    assert all(set(enum) == set(values) for enum in found), (found, values)


def test_the_notification_channels_and_purposes_agree_with_the_policy_engine() -> None:
    # the engine's tuples and the schemas' Literals are one list each (the consents add "*": every one)
    assert set(CHANNELS) == set(get_args(Channel)) == set(get_args(ConsentChannel)) - {"*"}
    assert set(PURPOSES) == set(get_args(Purpose)) == set(get_args(ConsentPurpose)) - {"*"}


CLOSED_PARAMETERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("/api/v1/notifications", "status", STATUSES),
    ("/api/v1/notifications", "lang", LANGUAGES),
    ("/api/v1/customers/{external_id}/contact-decisions", "lang", LANGUAGES),
    ("/api/v1/analytics/dfg", "channel", CATALOG_CHANNELS),
    ("/api/v1/feedback", "sentiment", SENTIMENTS),
]


@pytest.mark.parametrize(("path", "name", "values"), CLOSED_PARAMETERS,
                         ids=[f"{p}?{n}" for p, n, _ in CLOSED_PARAMETERS])
def test_a_closed_query_parameter_lists_its_allowed_values(spec: dict[str, Any], path: str, name: str,
                                                           values: tuple[str, ...]) -> None:
    parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"}
    found = [list(enum) for enum in _enums(parameters[name]["schema"]) if enum != [None]]
    assert found, f"{path}?{name} is not a closed set in /openapi.json"
    assert all(set(enum) == set(values) for enum in found), (found, values)


def test_a_value_outside_a_closed_query_parameter_is_still_refused_with_its_own_error(client: TestClient,
                                                                                       org: conftest.OrgHandle) -> None:
    r = client.get("/api/v1/notifications", params={"status": "lost"}, headers=org.admin)
    assert r.status_code in (400, 422) and set(r.json()) == {"code", "message", "detail"}, r.text
