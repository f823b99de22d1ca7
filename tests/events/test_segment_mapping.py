"""Segment messages → Batch: the documented conventions, without a server or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from momentos.doors.segment.mapping import Mapped, to_batch, write_key_of
from momentos.errors import BadRequest, PayloadTooLarge

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
T0 = "2026-03-02T09:00:00.000Z"


def batch_of(*messages: dict[str, Any], **top: Any) -> Mapped:
    return to_batch({"batch": list(messages), **top}, kind=None, received_at=RECEIVED, max_event_bytes=32 * 1024)


def track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "ana", "event": "order_placed", "messageId": "m-1", "timestamp": T0,
            **fields}


def bad_request(*messages: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(BadRequest) as err:
        batch_of(*messages)
    assert isinstance(err.value.detail, dict)
    return err.value.detail


def test_track_maps_event_to_activity_and_reads_routing_fields_from_properties() -> None:
    props = {"service": "shop", "moment": "purchase", "process": 1234, "channel": "Store",
             "initiator": "company", "total": 9.5}
    e = batch_of(track(properties=props)).batch.events[0]
    assert (e.message_id, e.customer, e.activity, e.type) == ("m-1", "ana", "order_placed", "track")
    assert (e.service, e.moment, e.process, e.channel, e.initiator) == ("shop", "purchase", "1234", "store",
                                                                          "company")
    assert e.properties == props


def test_page_and_screen_become_named_activities_on_web_and_app() -> None:
    mapped = batch_of({"type": "page", "anonymousId": "a1", "name": "Checkout", "messageId": "p1"},
                      {"type": "page", "anonymousId": "a1", "messageId": "p2"},
                      {"type": "screen", "userId": 42, "name": "Home", "messageId": "s1"})
    assert [(e.activity, e.type, e.channel, e.customer) for e in mapped.batch.events] == [
        ("page:Checkout", "page", "web", "a1"), ("page", "page", "web", "a1"), ("screen:Home", "screen", "app", "42")]


def test_single_message_endpoint_takes_the_type_from_the_path() -> None:
    mapped = to_batch({"userId": "ana", "name": "Pricing", "messageId": "x"}, kind="page", received_at=RECEIVED,
                      max_event_bytes=32 * 1024)
    assert mapped.batch.events[0].activity == "page:Pricing"


def test_identify_reads_traits_locale_and_timezone_and_aliases_the_anonymous_id() -> None:
    ident = batch_of({"type": "identify", "userId": "ana", "anonymousId": "anon-1", "timestamp": T0,
                      "traits": {"email": "ana@example.com"},
                      "context": {"locale": "es-MX", "timezone": "America/Mexico_City",
                                  "traits": {"plan": "pro", "email": "old@example.com"}}}).batch.identifies[0]
    assert ident.customer == "ana"
    assert ident.traits == {"plan": "pro", "email": "ana@example.com"}  # root traits win over context.traits
    assert (ident.language, ident.timezone, ident.anonymous_id) == ("es-MX", "America/Mexico_City", "anon-1")


def test_track_with_user_and_anonymous_id_records_the_alias_once_per_pair() -> None:
    mapped = batch_of(track(anonymousId="anon-1"), track(anonymousId="anon-1", messageId="m-2"),
                      track(userId=None, anonymousId="anon-2", messageId="m-3"))
    assert [e.customer for e in mapped.batch.events] == ["ana", "ana", "anon-2"]
    assert [(i.customer, i.anonymous_id) for i in mapped.batch.identifies] == [("ana", "anon-1")]


def test_group_and_alias() -> None:
    mapped = batch_of({"type": "group", "userId": "ana", "groupId": 77, "traits": {"name": "ACME"}},
                      {"type": "alias", "userId": "ana", "previousId": "anon-1"})
    g, a = mapped.batch.groups[0], mapped.batch.aliases[0]
    assert (g.customer, g.group_id, g.traits) == ("ana", "77", {"name": "ACME"})
    assert (a.customer, a.previous_id) == ("ana", "anon-1")


def test_clock_skew_is_corrected_with_sent_at_from_the_message_or_the_batch() -> None:
    own = batch_of(track(sentAt="2026-03-02T09:10:00Z")).batch.events[0]
    from_batch = batch_of(track(), sentAt="2026-03-02T09:10:00Z").batch.events[0]
    assert own.timestamp == from_batch.timestamp == RECEIVED - timedelta(minutes=10)


def test_timestamp_falls_back_to_original_timestamp_then_received_at() -> None:
    original = batch_of(track(timestamp=None, originalTimestamp="2026-03-01T08:00:00+02:00")).batch.events[0]
    none = batch_of(track(timestamp=None)).batch.events[0]
    plain = batch_of(track()).batch.events[0]
    assert original.timestamp == datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert none.timestamp == RECEIVED
    assert plain.timestamp == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_missing_message_id_is_derived_stably_ignoring_transport_fields() -> None:
    first = batch_of(track(messageId=None, sentAt="2026-03-02T09:00:01Z")).batch.events[0]
    resent = batch_of(track(messageId=None, sentAt="2026-03-02T09:05:00Z"), writeKey="k").batch.events[0]
    other = batch_of(track(messageId=None, event="order_shipped")).batch.events[0]
    assert first.message_id == resent.message_id
    assert first.message_id.startswith("seg:")
    assert other.message_id != first.message_id


def test_batch_context_is_the_default_for_each_message() -> None:
    ident = batch_of({"type": "identify", "userId": "ana", "context": {"timezone": "Europe/Madrid"}},
                     context={"locale": "en-GB", "timezone": "UTC"}).batch.identifies[0]
    assert (ident.language, ident.timezone) == ("en-GB", "Europe/Madrid")


def test_event_positions_point_back_to_the_message_index() -> None:
    mapped = batch_of({"type": "identify", "userId": "ana"}, track(), {"type": "alias", "userId": "a",
                                                                       "previousId": "b"}, track(messageId="m-2"))
    assert mapped.event_positions == [1, 3]


@pytest.mark.parametrize(("message", "field", "problem"), [
    (track(event=""), "event", "must be a non-empty string"),
    (track(event=12), "event", "must be a string"),
    (track(properties=[1, 2]), "properties", "must be a JSON object"),
    (track(properties={"moment": 3}), "properties.moment", "must be a string"),
    (track(userId=None), "userId", "or 'anonymousId' is required"),
    (track(userId=True), "userId", "must be a string or an integer"),
    (track(timestamp="yesterday"), "timestamp", "must be an ISO 8601 date-time"),
    ({**track(), "type": "purchase"}, "type", "must be one of track, page, screen, identify, group, alias"),
    ({"type": "alias", "userId": "ana"}, "previousId", "is required"),
    ({"type": "identify", "userId": "ana", "traits": "vip"}, "traits", "must be a JSON object"),
    ({"type": "identify", "userId": "ana", "context": {"traits": []}}, "context.traits", "must be a JSON object"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_message_is_rejected_naming_its_index_and_field(message: dict[str, Any], field: str,
                                                              problem: str) -> None:
    detail = bad_request(track(messageId="ok"), message)
    assert detail == {"index": 1, "field": field, "problem": problem}


def test_a_message_that_breaks_the_event_schema_names_its_index() -> None:
    detail = bad_request(track(), track(properties={"initiator": "robot"}))
    assert detail["index"] == 1
    assert detail["errors"][0]["loc"] == ["initiator"]


def test_a_message_that_is_not_an_object_is_rejected() -> None:
    assert bad_request(track(), "hello") == {"index": 1, "field": "message", "problem": "must be a JSON object"}  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", [[], {"batch": {"type": "track"}}, {"sentAt": "x"}, "text"])
def test_a_batch_body_that_is_not_an_object_with_a_list_is_rejected(payload: Any) -> None:
    with pytest.raises(BadRequest):
        to_batch(payload, kind=None, received_at=RECEIVED, max_event_bytes=32 * 1024)


def test_an_event_over_the_size_limit_is_413_with_its_index() -> None:
    big = track(properties={"blob": "x" * 2000})
    with pytest.raises(PayloadTooLarge) as err:
        to_batch({"batch": [track(), big]}, kind=None, received_at=RECEIVED, max_event_bytes=1024)
    assert err.value.detail["index"] == 1
    assert err.value.detail["size_bytes"] > 1024


def test_write_key_is_read_from_the_body() -> None:
    assert write_key_of({"writeKey": "mw_x", "batch": []}) == "mw_x"
    assert write_key_of({"writeKey": 5}) is None
    assert write_key_of([]) is None
