"""CloudEvents 1.0 (HTTP binding, JSON format) → one ``Batch``. Pure: no I/O, no database.

The three HTTP content modes are first turned into the same shape, a structured-mode JSON object per event:

- **structured**: ``Content-Type: application/cloudevents+json``, the body is one event object;
- **batched**: ``Content-Type: application/cloudevents-batch+json``, the body is a JSON array of event objects;
- **binary**: the attributes are ``ce-*`` headers (percent-decoded), ``Content-Type`` is ``datacontenttype`` and
  the body is the data: parsed when the content type is JSON, else kept as text, else base64 (``data_base64``).

Then each event becomes an ``EventIn``:

- ``specversion`` must be ``"1.0"``; ``id``, ``source`` and ``type`` are required non-empty strings.
- **message id** (deduplication by ``(source, id)``, as the spec asks): ``ce:{source}#{id}``, or the SHA-256 hex
  digest of that string when it is longer than 255 characters.
- ``type`` → activity; ``time`` → timestamp (default: when the request was read).
- **customer**: the ``customer`` extension, else ``data.customer``, else ``subject`` (required). Explicit Momentos
  fields win over the generic ``subject``, which many producers use for something else (a file, an order).
- ``service``, ``moment``, ``process``, ``channel`` and ``initiator``: the extension attribute of that name, else
  the field of that name in ``data`` (when data is an object).
- ``data`` → properties when it is an object; any other data is kept under ``properties.data`` (and binary data
  under ``properties.data_base64``).

**Profiles**: an event of type ``momentos.identify`` is a profile update, not an interaction: its data object may
carry ``traits`` (an object), ``language``, ``timezone``, ``consents`` (``[{"channel": "email"|…|"*", "purpose":
"marketing"|…|"*", "granted": true}]``) and ``do_not_contact`` (true/false). They are recorded with the event's
message id and ``time`` (source ``cloudevents``), like a native identify.

The first bad event rejects the whole request with ``BadRequest`` naming its ``index``; an event larger than
``max_event_bytes`` once serialised as structured JSON raises ``PayloadTooLarge``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import unquote

from pydantic import ValidationError

from momentos.customers.schemas import IdentifyIn
from momentos.doors.body import parse_json
from momentos.errors import BadRequest, PayloadTooLarge, pydantic_detail
from momentos.events.schemas import Batch, EventIn
from momentos.kit.clock import ensure_utc

STRUCTURED = "application/cloudevents+json"
BATCHED = "application/cloudevents-batch+json"
SPECVERSION = "1.0"
CE_PREFIX = "ce-"
MAX_MESSAGE_ID = 255
ROUTED_FIELDS = ("service", "moment", "process", "channel", "initiator")
IDENTIFY_TYPE = "momentos.identify"
PROFILE_FIELDS = ("traits", "language", "timezone", "consents", "do_not_contact")
_JSON_MEDIA = re.compile(r"^(application|text)/([a-z0-9.\-]+\+)?json$")


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def to_batch(headers: Mapping[str, str], body: bytes, *, received_at: datetime,
             max_event_bytes: int) -> tuple[Batch, list[int]]:
    """Map one HTTP request (headers with lower-case names, decompressed body) in any content mode. Returns the
    batch and, for each of its events, its index in the request (``momentos.identify`` events are profiles)."""
    raw = _raw_events(headers, body)
    batch, positions = Batch(), []
    for index, ce in enumerate(raw):
        _check_size(ce, index, max_event_bytes)
        if isinstance(ce, dict) and ce.get("type") == IDENTIFY_TYPE:
            batch.identifies.append(to_identify(ce, index, received_at))
        else:
            batch.events.append(to_event(ce, index, received_at))
            positions.append(index)
    return batch, positions


def _raw_events(headers: Mapping[str, str], body: bytes) -> list[Any]:
    media = media_type(headers.get("content-type"))
    if media == BATCHED:
        payload = parse_json(body)
        if not isinstance(payload, list):
            raise BadRequest("A batch must be a JSON array of events.", code="invalid_body",
                             detail={"content_type": BATCHED})
        return payload
    if media == STRUCTURED:
        return [parse_json(body)]
    if any(name.lower().startswith(CE_PREFIX) for name in headers):
        return [from_binary(headers, body)]
    raise BadRequest("Send CloudEvents in structured, batched or binary mode.", code="unsupported_content_type",
                     detail={"content_type": media, "accepted": [STRUCTURED, BATCHED, "binary mode (ce-* headers)"]})


def from_binary(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """A binary-mode request as the structured-mode object it stands for."""
    event: dict[str, Any] = {name.lower()[len(CE_PREFIX):]: unquote(value) for name, value in headers.items()
                             if name.lower().startswith(CE_PREFIX)}
    content_type = headers.get("content-type")
    if content_type:
        event["datacontenttype"] = content_type
    if not body:
        return event
    if _JSON_MEDIA.match(media_type(content_type or "application/json")):
        event["data"] = parse_json(body)
    else:
        try:
            event["data"] = body.decode()
        except UnicodeDecodeError:
            event["data_base64"] = base64.b64encode(body).decode()
    return event


def _check_size(ce: Any, index: int, limit: int) -> None:
    size = len(json.dumps(ce, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise PayloadTooLarge(f"Event {index} is larger than {limit} bytes.", code="event_too_large",
                              detail={"index": index, "limit_bytes": limit, "size_bytes": size})


def message_id(source: str, event_id: str) -> str:
    mid = f"ce:{source}#{event_id}"
    return mid if len(mid) <= MAX_MESSAGE_ID else hashlib.sha256(mid.encode()).hexdigest()


def _fail(index: int, name: str, problem: str, code: str = "invalid_cloudevent") -> NoReturn:
    raise BadRequest(f"Event {index}: '{name}' {problem}.", code=code,
                     detail={"index": index, "field": name, "problem": problem})


def _required_text(ce: Mapping[str, Any], index: int, name: str) -> str:
    value = ce.get(name)
    if not isinstance(value, str) or not value:
        _fail(index, name, "is required and must be a non-empty string")
    return value


def _optional_ref(value: Any, index: int, name: str) -> str | None:
    """An optional string attribute (integers are accepted and turned into strings, e.g. an order number)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        _fail(index, name, "must be a string")
    return value


def _time(ce: Mapping[str, Any], index: int, received_at: datetime) -> datetime:
    value = ce.get("time")
    if value is None:
        return received_at
    if not isinstance(value, str):
        _fail(index, "time", "must be an RFC 3339 date-time string")
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        _fail(index, "time", "must be an RFC 3339 date-time string")


def _data(ce: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(properties, the data object to read fields from)."""
    if "data_base64" in ce and ce.get("data") is None:
        return {"data_base64": ce["data_base64"]}, {}
    data = ce.get("data")
    if isinstance(data, dict):
        return data, data
    return ({} if data is None else {"data": data}), {}


def _field(ce: Mapping[str, Any], data: Mapping[str, Any], index: int, name: str) -> str | None:
    if ce.get(name) not in (None, ""):
        return _optional_ref(ce[name], index, name)
    return _optional_ref(data.get(name), index, f"data.{name}")


def _envelope(ce: Any, index: int) -> tuple[str, str, str, dict[str, Any], dict[str, Any], str]:
    """(source, id, type, properties, data object, customer) of a valid event."""
    if not isinstance(ce, dict):
        _fail(index, "event", "must be a JSON object")
    if ce.get("specversion") != SPECVERSION:
        _fail(index, "specversion", f"must be \"{SPECVERSION}\" (got {ce.get('specversion')!r})",
              code="unsupported_specversion")
    source, event_id, kind = (_required_text(ce, index, n) for n in ("source", "id", "type"))
    properties, data = _data(ce)
    customer = _field(ce, data, index, "customer") or _optional_ref(ce.get("subject"), index, "subject")
    if customer is None:
        _fail(index, "customer", "is required: set the 'customer' extension, data.customer or 'subject'",
              code="missing_customer")
    return source, event_id, kind, properties, data, customer


def to_identify(ce: dict[str, Any], index: int, received_at: datetime) -> IdentifyIn:
    """A ``momentos.identify`` event: a profile update with consent statements and do-not-contact."""
    source, event_id, _, _, data, customer = _envelope(ce, index)
    try:
        return IdentifyIn.model_validate({
            "customer": customer, "message_id": message_id(source, event_id),
            "timestamp": _time(ce, index, received_at),
            **{name: data[name] for name in PROFILE_FIELDS if data.get(name) is not None}})
    except ValidationError as exc:
        raise BadRequest(f"Event {index} is not valid.", code="invalid_cloudevent",
                         detail={"index": index, "errors": pydantic_detail(exc)}) from exc


def to_event(ce: Any, index: int, received_at: datetime) -> EventIn:
    source, event_id, kind, properties, data, customer = _envelope(ce, index)
    fields = {name: _field(ce, data, index, name) for name in ROUTED_FIELDS}
    try:
        return EventIn.model_validate({
            "message_id": message_id(source, event_id), "customer": customer, "activity": kind,
            "timestamp": _time(ce, index, received_at), "properties": properties, **fields})
    except ValidationError as exc:
        raise BadRequest(f"Event {index} is not valid.", code="invalid_cloudevent",
                         detail={"index": index, "errors": pydantic_detail(exc)}) from exc
