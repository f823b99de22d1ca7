"""Segment HTTP API messages (also sent by RudderStack SDKs) → one ``Batch``. Pure: no I/O, no database.

Conventions (what each Segment field becomes):

- **customer**: ``userId``, else ``anonymousId`` (strings or integers; the empty string counts as absent). When a
  track, page, screen or identify message carries both, the ``anonymousId`` is also recorded as an alias of the
  ``userId`` (an ``IdentifyIn`` with ``anonymous_id``), once per pair and request.
- **message id**: ``messageId``. A message without one gets a stable id, ``seg:`` + the SHA-256 of its canonical
  JSON (sorted keys, compact) without the transport fields ``sentAt``, ``receivedAt`` and ``writeKey``, so a
  replayed message is still deduplicated.
- **timestamp**: Segment's clock-skew correction. With both ``sentAt`` (the message's own, else the batch's) and
  ``timestamp``: ``receivedAt − (sentAt − timestamp)``; otherwise ``timestamp``, else ``originalTimestamp``, else
  ``receivedAt`` (the moment the server read the request).
- **track** → activity = ``event`` (a non-empty string). **page** → activity ``page:{name}`` (or ``page``), type
  ``page``, channel ``web``. **screen** → activity ``screen:{name}`` (or ``screen``), type ``screen``, channel
  ``app``.
- ``properties.service``, ``.moment``, ``.process`` (a string or integer: the process reference, e.g. an order id),
  ``.channel`` (lower-cased; for page/screen it replaces ``web``/``app``) and ``.initiator`` fill the matching
  ``EventIn`` fields; ``properties`` are stored exactly as sent.
- **identify** → traits from ``traits`` over ``context.traits`` (RudderStack puts them there), language from
  ``context.locale``, time zone from ``context.timezone``. **group** → ``groupId`` and ``traits``. **alias** →
  ``userId`` becomes the customer that ``previousId`` is merged into.
- **consent** (Segment's Consent Management, also RudderStack): ``context.consent.categoryPreferences``, a map
  category → granted, on an identify or on any event, is recorded on the message's customer, with the message id
  and timestamp; categories become purposes through the organization's mapping (``customers.consent``). An event's
  consent is taken once per customer and preferences in a request. **do-not-contact**: the identify trait
  ``do_not_contact`` (or ``doNotContact``), true or false; it is taken out of the traits.
- A batch's own ``context`` is the default for each message's ``context`` (the message's keys win). The
  single-message endpoints (``/v1/track`` …) take the message type from the path.

Validation is strict and whole-request: the first bad message raises ``BadRequest`` (400) whose detail names its
``index`` in the request and the problem; an event larger than ``max_event_bytes`` once re-serialised (compact
JSON, UTF-8) raises ``PayloadTooLarge`` (413).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from momentos.customers.schemas import AliasIn, GroupIn, IdentifyIn
from momentos.errors import BadRequest, PayloadTooLarge, pydantic_detail
from momentos.events.schemas import Batch, EventIn
from momentos.kit.clock import ensure_utc

MESSAGE_TYPES = ("track", "page", "screen", "identify", "group", "alias")
EVENT_TYPES = ("track", "page", "screen")
TRANSPORT_FIELDS = frozenset({"sentAt", "receivedAt", "writeKey"})
_DEFAULT_CHANNELS = {"page": "web", "screen": "app"}
DO_NOT_CONTACT_TRAITS = ("do_not_contact", "doNotContact")
MAX_CATEGORIES = 100
M = TypeVar("M", bound=BaseModel)


@dataclass
class Mapped:
    """The batch to ingest, and for each of its events the index of the message it came from (``aliased_pairs``:
    the (userId, anonymousId) pairs already recorded for this request)."""

    batch: Batch = field(default_factory=Batch)
    event_positions: list[int] = field(default_factory=list)
    aliased_pairs: set[tuple[str, str]] = field(default_factory=set)
    consents_seen: set[tuple[str, str]] = field(default_factory=set)
    """(customer, preferences as canonical JSON) whose consent from an event is already in the batch."""


@dataclass(frozen=True)
class Envelope:
    """What a request carries around its messages: the batch-level ``sentAt`` and ``context``."""

    sent_at: datetime | None
    context: dict[str, Any]
    received_at: datetime


def write_key_of(payload: Any) -> str | None:
    """The ``writeKey`` of a request body (Segment clients may send it there instead of Basic auth)."""
    key = payload.get("writeKey") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else None


def to_batch(payload: Any, *, kind: str | None, received_at: datetime, max_event_bytes: int) -> Mapped:
    """Map a request body. ``kind`` is the single-message endpoint's type (``track`` …), or None for a batch."""
    messages, envelope = _unwrap(payload, kind, received_at)
    mapped = Mapped()
    for index, message in enumerate(messages):
        _check_size(message, index, max_event_bytes)
        _add(mapped, _Message(message, index, kind), envelope)
    return mapped


def _unwrap(payload: Any, kind: str | None, received_at: datetime) -> tuple[list[Any], Envelope]:
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object.", code="invalid_body", detail={"field": "body"})
    if kind is not None:
        return [payload], Envelope(None, {}, received_at)
    messages = payload.get("batch")
    if not isinstance(messages, list):
        raise BadRequest("'batch' must be a list of messages.", code="invalid_body", detail={"field": "batch"})
    top = _Message(payload, None, "batch")
    return messages, Envelope(top.when("sentAt"), top.obj("context"), received_at)


def _check_size(message: Any, index: int, limit: int) -> None:
    size = len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise PayloadTooLarge(f"Message {index} is larger than {limit} bytes.", code="event_too_large",
                              detail={"index": index, "limit_bytes": limit, "size_bytes": size})


def _add(mapped: Mapped, m: _Message, env: Envelope) -> None:
    if m.kind in EVENT_TYPES:
        event = _event(m, env)
        mapped.batch.events.append(event)
        mapped.event_positions.append(m.index or 0)
        _alias_anonymous(mapped, m, env, event.customer, event.timestamp)
        _event_consent(mapped, m, env, event)
    elif m.kind == "identify":
        mapped.batch.identifies.append(_identify(m, env))
    elif m.kind == "group":
        mapped.batch.groups.append(m.build(GroupIn, customer=_customer(m), group_id=m.ident("groupId", True),
                                           traits=m.obj("traits"), timestamp=_timestamp(m, env)))
    else:
        mapped.batch.aliases.append(m.build(AliasIn, customer=m.ident("userId", True),
                                            previous_id=m.ident("previousId", True), timestamp=_timestamp(m, env)))


class _Message:
    """Typed access to one message's fields; every problem names the message's index and the field."""

    def __init__(self, raw: Any, index: int | None, kind: str | None) -> None:
        self.index = index
        if not isinstance(raw, dict):
            self.fail("message", "must be a JSON object")
        self.raw: dict[str, Any] = raw
        self.kind = kind or self._type()

    def _type(self) -> str:
        kind = self.raw.get("type")
        if kind not in MESSAGE_TYPES:
            self.fail("type", f"must be one of {', '.join(MESSAGE_TYPES)}")
        return str(kind)

    def fail(self, name: str, problem: str) -> NoReturn:
        where = "The batch" if self.index is None else f"Message {self.index}"
        detail = {"field": name, "problem": problem} if self.index is None else \
            {"index": self.index, "field": name, "problem": problem}
        raise BadRequest(f"{where}: '{name}' {problem}.", code="invalid_message", detail=detail)

    def text(self, name: str, source: dict[str, Any] | None = None, prefix: str = "") -> str | None:
        value = (self.raw if source is None else source).get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.fail(prefix + name, "must be a string")
        return value

    def ident(self, name: str, required: bool = False, source: dict[str, Any] | None = None,
              prefix: str = "") -> str | None:
        value = (self.raw if source is None else source).get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if value is None or value == "":
            if required:
                self.fail(prefix + name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(prefix + name, "must be a string or an integer")
        return value

    def obj(self, name: str, source: dict[str, Any] | None = None, prefix: str = "") -> dict[str, Any]:
        value = (self.raw if source is None else source).get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(prefix + name, "must be a JSON object")
        return value

    def when(self, name: str) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return ensure_utc(datetime.fromisoformat(value))
        except ValueError:
            self.fail(name, "must be an ISO 8601 date-time")

    def build(self, model: type[M], **fields: Any) -> M:
        try:
            return model.model_validate(fields)
        except ValidationError as exc:
            where = "The request" if self.index is None else f"Message {self.index}"
            raise BadRequest(f"{where} is not valid.", code="invalid_message",
                             detail={"index": self.index, "errors": pydantic_detail(exc)}) from exc


def _customer(m: _Message) -> str:
    customer = m.ident("userId") or m.ident("anonymousId")
    if customer is None:
        m.fail("userId", "or 'anonymousId' is required")
    return customer


def _timestamp(m: _Message, env: Envelope) -> datetime:
    ts = m.when("timestamp")
    sent_at = m.when("sentAt") or env.sent_at
    if ts is not None and sent_at is not None:
        try:
            return env.received_at - (sent_at - ts)
        except OverflowError:  # e.g. year 1 against year 9999: no such time
            m.fail("timestamp", "is out of range")
    return ts or m.when("originalTimestamp") or env.received_at


def _message_id(m: _Message) -> str:
    given = m.ident("messageId")
    if given is not None:
        return given
    canonical = {k: v for k, v in m.raw.items() if k not in TRANSPORT_FIELDS}
    canonical["type"] = m.kind
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "seg:" + hashlib.sha256(text.encode()).hexdigest()


def _activity(m: _Message) -> str:
    if m.kind == "track":
        event = m.text("event")
        if event is None or not event.strip():
            m.fail("event", "must be a non-empty string")
        return event
    name = m.text("name")
    return f"{m.kind}:{name}" if name else m.kind


def _event(m: _Message, env: Envelope) -> EventIn:
    props = m.obj("properties")
    channel = m.text("channel", props, "properties.")
    return m.build(
        EventIn, message_id=_message_id(m), customer=_customer(m), timestamp=_timestamp(m, env),
        activity=_activity(m), type=m.kind,
        channel=channel.strip().lower() if channel else _DEFAULT_CHANNELS.get(m.kind),
        service=m.text("service", props, "properties."), moment=m.text("moment", props, "properties."),
        process=m.ident("process", source=props, prefix="properties."),
        initiator=m.text("initiator", props, "properties."), properties=props)


def _context(m: _Message, env: Envelope) -> dict[str, Any]:
    return {**env.context, **m.obj("context")}


def _identify(m: _Message, env: Envelope) -> IdentifyIn:
    context = _context(m, env)
    traits = {**m.obj("traits", context, "context."), **m.obj("traits")}
    user_id, anonymous_id = m.ident("userId"), m.ident("anonymousId")
    return m.build(IdentifyIn, customer=_customer(m), traits=traits, timestamp=_timestamp(m, env),
                   language=m.text("locale", context, "context."), timezone=m.text("timezone", context, "context."),
                   anonymous_id=anonymous_id if user_id else None, message_id=_message_id(m),
                   consent_categories=_categories(m, context), do_not_contact=_do_not_contact(m, traits))


def _categories(m: _Message, context: dict[str, Any]) -> dict[str, bool]:
    """``context.consent.categoryPreferences``: category → granted."""
    prefs = m.obj("categoryPreferences", m.obj("consent", context, "context."), "context.consent.")
    name = "context.consent.categoryPreferences"
    if len(prefs) > MAX_CATEGORIES:
        m.fail(name, f"has more than {MAX_CATEGORIES} categories")
    if not all(isinstance(v, bool) for v in prefs.values()):
        m.fail(name, "must map each category to true or false")
    return prefs


def _do_not_contact(m: _Message, traits: dict[str, Any]) -> bool | None:
    """The ``do_not_contact`` (or ``doNotContact``) trait, taken out of the traits."""
    value: bool | None = None
    for key in DO_NOT_CONTACT_TRAITS:
        if key in traits:
            given = traits.pop(key)
            if given is not None and not isinstance(given, bool):
                m.fail(f"traits.{key}", "must be true or false")
            value = given if given is not None else value
    return value


def _event_consent(mapped: Mapped, m: _Message, env: Envelope, event: EventIn) -> None:
    """An event carrying the consent context records it too: once per customer and preferences in a request."""
    prefs = _categories(m, _context(m, env))
    if not prefs:
        return
    key = (event.customer, json.dumps(prefs, sort_keys=True))
    if key in mapped.consents_seen:
        return
    mapped.consents_seen.add(key)
    mapped.batch.identifies.append(m.build(IdentifyIn, customer=event.customer, timestamp=event.timestamp,
                                           message_id=event.message_id, consent_categories=prefs))


def _alias_anonymous(mapped: Mapped, m: _Message, env: Envelope, customer: str, when: datetime) -> None:
    """An event naming both ids also says that the anonymous id is this user: record it once per pair."""
    anonymous_id = m.ident("anonymousId")
    if anonymous_id is None or anonymous_id == customer or (customer, anonymous_id) in mapped.aliased_pairs:
        return
    mapped.aliased_pairs.add((customer, anonymous_id))
    context = _context(m, env)
    mapped.batch.identifies.append(m.build(
        IdentifyIn, customer=customer, timestamp=when, anonymous_id=anonymous_id,
        language=m.text("locale", context, "context."), timezone=m.text("timezone", context, "context.")))
