"""Event-log readers (CSV, XES) and what they share: options, records, channel names, stable message ids.

A reader turns a file into :class:`Record` objects, one per event, each with the line it came from. The
:class:`EventBuilder` turns records into :class:`~momentos.events.schemas.EventIn`, the shape every door of the
ingestion service speaks. Nothing here touches the database.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from momentos.errors import ImportFailed, ValidationFailed
from momentos.events.schemas import EventIn

FileFormat = Literal["csv", "xes"]
Lifecycle = Literal["all", "complete"]

_GZIP_MAGIC = b"\x1f\x8b"
_EXTENSIONS: dict[str, FileFormat] = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xes": "xes", ".xml": "xes"}
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CHANNEL_ALIASES = {"e-mail": "email", "internet": "web", "website": "web", "online": "web",
                   "post": "mail", "letter": "mail", "desk": "store", "counter": "store", "office": "store",
                   "telephone": "phone", "call": "phone"}


@dataclass(frozen=True)
class ImportOptions:
    """How to read one file. ``None`` means: detect it (format from the extension, columns by common names)."""

    format: FileFormat | None = None
    service: str | None = None
    case_column: str | None = None
    activity_column: str | None = None
    timestamp_column: str | None = None
    timestamp_format: str | None = None
    customer_column: str | None = None
    channel_column: str | None = None
    moment_column: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    timezone: str = "UTC"
    lifecycle: Lifecycle = "all"
    chunk_size: int = 5000
    bulk: bool = True
    """Whether a first import of an XES log may take the bulk road (see momentos.imports.bulk)."""


@dataclass(slots=True)
class Record:
    """One event as read from a file, before it becomes an EventIn. ``timestamp`` may be naive."""

    line: int
    case: str
    activity: str
    timestamp: datetime
    customer: str | None = None
    channel: str | None = None
    moment: str | None = None
    lifecycle: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def detect_format(path: Path, given: FileFormat | None) -> FileFormat:
    """The format given, else the one the extension names (``.csv``, ``.xes``, with or without ``.gz``)."""
    if given is not None:
        return given
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise ImportFailed(str(path), None, "cannot tell the format from the file name; pass --format csv or xes")
    return found


class ByteStream(Protocol):
    """What the readers need of a file: read a block (XES) or iterate lines (CSV)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def __iter__(self) -> Iterator[bytes]: ...


@dataclass
class OpenedFile:
    """A binary stream over the file's (decompressed) content, and how far the raw file has been read."""

    stream: ByteStream
    raw: IO[bytes]
    size: int

    def position(self) -> int:
        return self.raw.tell()


@contextmanager
def open_log(path: Path) -> Iterator[OpenedFile]:
    """Open ``path`` for reading, transparently decompressing gzip (recognised by its magic bytes)."""
    name = str(path)
    try:
        raw = path.open("rb")
    except FileNotFoundError as exc:
        raise ImportFailed(name, None, "no such file") from exc
    except OSError as exc:
        raise ImportFailed(name, None, f"cannot open the file: {exc.strerror or exc}") from exc
    with raw:
        size = path.stat().st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield OpenedFile(raw, raw, size)
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield OpenedFile(stream, raw, size)


def load_timezone(name: str) -> tzinfo:
    """The IANA time zone used for naive timestamps."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"Unknown time zone '{name}'.", code="unknown_timezone",
                               detail={"timezone": name}) from exc


@lru_cache(maxsize=1024)
def normalize_channel(value: str) -> str | None:
    """Turn a channel as written in a log ("Desk", "e-mail", "Internet") into a Momentos channel key.

    Lower-cased, anything outside ``[a-z0-9_-]`` becomes '-', and a few common names map to the standard channels
    (e-mail → email, internet → web, post → mail, desk → store). Returns None for a blank value.
    """
    text = value.strip().lower()
    if not text:
        return None
    if text in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[text]
    slug = re.sub(r"[^a-z0-9_-]+", "-", text).strip("-_")[:32].rstrip("-_")
    slug = CHANNEL_ALIASES.get(slug, slug)
    return slug if CHANNEL_RE.match(slug) else None


def message_id(case: str, activity: str, lifecycle: str | None, utc_time: str, occurrence: int) -> str:
    """A message id that is the same every time the same event is imported, from CSV or from XES.

    It hashes what identifies the event (case, activity, lifecycle, UTC time in ISO 8601) and how many identical
    events came before it in the same case, so neither the order of other rows nor the file format changes it.
    """
    key = f"{case}\x1f{activity}\x1f{lifecycle or ''}\x1f{utc_time}\x1f{occurrence}"
    return "log:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


class EventBuilder:
    """Turns records into EventIn: UTC time, stable message id, normalised channel, one customer per case."""

    def __init__(self, file: str, options: ImportOptions) -> None:
        self.file = file
        self.options = options
        self.zone = load_timezone(options.timezone)
        self.cases: set[str] = set()
        self._case_customer: dict[str, str] = {}
        self._current_case: str | None = None
        self._occurrences: dict[str, int] = {}

    def keeps(self, record: Record) -> bool:
        """Whether the lifecycle option keeps this record (events without a lifecycle count as complete)."""
        if self.options.lifecycle == "all" or record.lifecycle is None:
            return True
        return record.lifecycle.strip().lower() == "complete"

    def build(self, record: Record) -> EventIn:
        """The EventIn for ``record``; an invalid field raises ImportFailed with the record's line."""
        timestamp = self._utc(record.timestamp)
        activity = record.activity.strip()
        customer = self._customer_of(record)
        iso = timestamp.isoformat()
        occurrence = self._occurrence(record, f"{activity}\x1f{record.lifecycle}\x1f{iso}")
        try:
            event = EventIn(message_id=message_id(record.case, activity, record.lifecycle, iso, occurrence),
                            customer=customer, timestamp=timestamp, activity=activity,
                            channel=normalize_channel(record.channel) if record.channel else None,
                            service=self.options.service, moment=record.moment or None, process=record.case,
                            properties=record.properties)
        except ValidationError as exc:
            raise ImportFailed(self.file, record.line, _validation_reason(exc)) from exc
        self.cases.add(record.case)
        return event

    def _utc(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=self.zone).astimezone(UTC)
        return value.astimezone(UTC)

    def _customer_of(self, record: Record) -> str:
        """The case's customer: the first one named for the case (a process has one customer), else the case."""
        if record.customer is None:
            return self._case_customer.get(record.case, record.case)
        return self._case_customer.setdefault(record.case, record.customer)

    def _occurrence(self, record: Record, key: str) -> int:
        """How many identical events (same activity, lifecycle and time: ``key``) the current case has had."""
        if record.case != self._current_case:
            self._current_case = record.case
            self._occurrences.clear()
        seen = self._occurrences.get(key, 0)
        self._occurrences[key] = seen + 1
        return seen


_FIELD_NAMES = {"customer": "customer id", "process": "case id", "activity": "activity", "moment": "moment",
                "service": "service", "channel": "channel", "message_id": "message id"}


def _validation_reason(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = str(error["loc"][0]) if error["loc"] else "event"
    return f"invalid {_FIELD_NAMES.get(loc, loc)}: {error['msg']}"
