"""XES event logs (IEEE 1849): streamed trace by trace with lxml, in constant memory, as safe XML.

Safety: a document type declaration (and with it any entity declaration) is refused before the parser sees it
(:mod:`.xml_guard`, shared with the bulk road), and the parser itself never resolves entities, loads a DTD or touches
the network. Memory: each trace is
turned into records and then removed from the tree, so only one trace is held at a time.

Mapping (pm4py's conventions): the trace's ``concept:name`` is the case; the event's ``concept:name`` the
activity, as is; ``time:timestamp`` the time; every other event attribute (``lifecycle:transition``,
``org:resource``, …) a property, typed (dates as UTC ISO 8601 text, like the event times); trace attributes are
properties prefixed ``case:``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any

from lxml import etree

from momentos.errors import ImportFailed
from momentos.imports.readers import ByteStream, ImportOptions, Record, load_timezone
from momentos.imports.readers.xml_guard import REFUSED, check_prolog

_LOCAL: dict[str, str] = {}


class _GuardedStream:
    """A file-like view of ``stream`` that first checks the prolog (:func:`~.xml_guard.check_prolog`)."""

    def __init__(self, stream: ByteStream, file: str) -> None:
        self._stream = stream
        self._file = file
        self._head: bytes | None = None

    def read(self, size: int = -1) -> bytes:
        if self._head is None:
            self._head = check_prolog(self._stream, self._file, size).head
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
            else:
                data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)


def _local(tag: str) -> str:
    """The tag without its namespace ('{http://www.xes-standard.org/}event' → 'event'), cached."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


def _boolean(value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise ValueError(value)
    return text == "true"


def _float(value: str) -> float | str:
    number = float(value)
    return number if math.isfinite(number) else value  # NaN/Infinity are not JSON


class _Date(str):
    """A date attribute's text, kept apart until it is put in UTC (see :func:`utc_text`)."""

    __slots__ = ()


_TYPES: dict[str, Callable[[str], Any]] = {"string": str, "id": str, "date": _Date, "int": int, "float": _float,
                                           "boolean": _boolean}
XES_NAMESPACE = "{http://www.xes-standard.org/}"
_TAG_TYPES: dict[str, Callable[[str], Any]] = {
    **_TYPES, **{XES_NAMESPACE + local: convert for local, convert in _TYPES.items()}}
"""Converters by full tag, for the two spellings seen in practice (no namespace, the XES namespace)."""


def read_xes(stream: ByteStream, file: str, options: ImportOptions) -> Iterator[Record]:
    """Yield the events of every trace in the XES document in ``stream``, in document order."""
    context = etree.iterparse(_GuardedStream(stream, file), events=("end",), tag="{*}trace",
                              resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                              huge_tree=False, remove_comments=True, remove_pis=True)
    checked = False
    zone = load_timezone(options.timezone)
    etree.clear_error_log()
    try:
        for _, trace in context:
            if not checked:
                _check_document(trace.getroottree(), file)
                checked = True
            records = _trace_records(trace, file, options, zone)
            _discard(trace)
            yield from records
    except etree.XMLSyntaxError as exc:
        line, message = _first_error(exc)
        raise ImportFailed(file, line, f"invalid XML: {message}") from exc
    if not checked:
        root = getattr(context, "root", None)
        if root is None or _local(root.tag) != "log":
            raise ImportFailed(file, 1, "not an XES log (the root element must be <log>)")
        _check_document(root.getroottree(), file)


def _first_error(exc: etree.XMLSyntaxError) -> tuple[int | None, str]:
    """The parser's first error (the exception itself may only say where parsing stopped)."""
    log: Any = exc.error_log  # lxml-stubs do not describe the log's entries
    for entry in log.filter_from_errors():
        if entry.message:
            return entry.line or None, entry.message.strip()
    return exc.lineno or None, exc.msg or "not well-formed"


def _check_document(tree: Any, file: str) -> None:
    """Second line of defence: refuse a DTD the prolog scan could not see (e.g. in UTF-16)."""
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ImportFailed(file, 1, REFUSED)
    root = tree.getroot()
    if _local(root.tag) != "log":
        raise ImportFailed(file, root.sourceline, "not an XES log (the root element must be <log>)")


def _discard(trace: Any) -> None:
    """Free the trace and everything parsed before it (log attributes, extensions, earlier traces)."""
    trace.clear(keep_tail=False)
    parent = trace.getparent()
    if parent is not None:
        while trace.getprevious() is not None:
            del parent[0]


def _attributes(element: Any, file: str) -> tuple[dict[str, Any], list[Any]]:
    """The typed attributes directly under ``element``, and its child <event> elements."""
    attrs: dict[str, Any] = {}
    events: list[Any] = []
    for child in element:
        tag = child.tag
        convert = _TAG_TYPES.get(tag)
        if convert is None:
            local = _local(tag)
            if local == "event":
                events.append(child)
                continue
            convert = _TYPES.get(local)
            if convert is None:
                continue  # list, container: not imported
        key, value = child.get("key"), child.get("value")
        if key is None or value is None:
            continue
        if convert is str or convert is _Date:
            attrs[key] = _Date(value) if convert is _Date else value
            continue
        try:
            attrs[key] = convert(value)
        except ValueError as exc:
            raise ImportFailed(file, child.sourceline, f"attribute '{key}': '{value}' is not a valid "
                                                       f"{_local(tag)}") from exc
    return attrs, events


def _trace_records(trace: Any, file: str, options: ImportOptions, zone: tzinfo) -> list[Record]:
    trace_attrs, events = _attributes(trace, file)
    case_key = options.case_column.removeprefix("case:") if options.case_column else "concept:name"
    case = trace_attrs.get(case_key)
    if case is None or not str(case).strip():
        raise ImportFailed(file, trace.sourceline, f"trace without a {case_key} (the case id)")
    case = str(case).strip()
    _dates_in_utc(trace_attrs, zone, file, trace.sourceline or 0)
    case_props = {f"case:{key}": value for key, value in trace_attrs.items()}
    return [_event_record(event, case, trace_attrs, case_props, file, options, zone) for event in events]


def _dates_in_utc(attrs: dict[str, Any], zone: tzinfo, file: str, line: int) -> None:
    """Date attributes as UTC ISO 8601 text ('2011-10-31T23:00:00+00:00'); offset-less ones are read in ``zone``."""
    for key, value in attrs.items():
        if isinstance(value, _Date):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise ImportFailed(file, line, f"attribute '{key}': '{value}' is not a valid date") from exc
            attrs[key] = (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC).isoformat()


def _pick(name: str | None, default: str, attrs: dict[str, Any], trace_attrs: dict[str, Any]) -> str | None:
    """An event attribute, else a trace attribute ('case:x' or 'x'), named by an option or by default."""
    key = name or default
    value = attrs.get(key)
    if value is None:
        value = trace_attrs.get(key.removeprefix("case:"))
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _event_record(event: Any, case: str, trace_attrs: dict[str, Any], case_props: dict[str, Any], file: str,
                  options: ImportOptions, zone: tzinfo) -> Record:
    attrs, _ = _attributes(event, file)
    line = event.sourceline or 0
    activity_key = options.activity_column or "concept:name"
    activity = attrs.pop(activity_key, None)
    if activity is None or not str(activity).strip():
        raise ImportFailed(file, line, f"event without a {activity_key} (the activity)")
    time_key = options.timestamp_column or "time:timestamp"
    raw_time = attrs.pop(time_key, None)
    if raw_time is None:
        raise ImportFailed(file, line, f"event without a {time_key}")
    try:
        timestamp = datetime.fromisoformat(str(raw_time).strip())
    except ValueError as exc:
        raise ImportFailed(file, line, f"unparseable {time_key} '{raw_time}' (expected ISO 8601)") from exc
    _dates_in_utc(attrs, zone, file, line)
    lifecycle = attrs.get("lifecycle:transition")
    return Record(line, case, str(activity), timestamp,
                  customer=_pick(options.customer_column, "", attrs, trace_attrs) if options.customer_column
                  else None,
                  channel=_pick(options.channel_column, "channel", attrs, trace_attrs),
                  moment=_pick(options.moment_column, "moment", attrs, trace_attrs),
                  lifecycle=None if lifecycle is None else str(lifecycle),
                  properties={**case_props, **attrs})
