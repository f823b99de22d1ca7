"""XES logs read whole into a columnar frame by the Rust reader of ``r4pm`` (Rust4PM, MIT/Apache-2.0).

This is the fast door for a first import of a log (see :mod:`momentos.imports.bulk`): r4pm parses BPIC 2012 in about
a second where the streaming reader (:mod:`.xes_reader`) needs ten. It holds the whole log in memory, so it is only
used for files up to :data:`MAX_FILE_BYTES`, and it cannot say on which line a bad event sits. Any doubt about the
file sends the import back to the streaming reader, which reports ``FILE:LINE: reason``. The checks that need a
second pass over the file run on a thread of their own while the rows are written (lxml parses without the GIL); the
bulk road waits for them before it keeps anything (:meth:`FastRead.confirmed`):

- malformed XML, which r4pm may skip over: an lxml pass that builds nothing checks the file;
- a missing attribute that r4pm fills in with the default of a ``<global>`` declaration (the streaming reader, like
  pm4py's, leaves it missing): the same pass counts each such key and the file must have it on every trace (event)
  of its column — which also catches a trace without a case id or an event without an activity or a time;
- a value r4pm complains about on stderr (it then stores a default such as 0, false or a nil UUID);
- a list attribute, a non-finite number, a column of an unexpected type.

The streaming reader's prolog guard (:mod:`.xml_guard`) refuses a DTD or entity declaration before either parser runs.

The frame has pm4py's columns: ``case:concept:name``, ``concept:name``, ``time:timestamp`` (naive UTC), every other
event attribute by its key and every trace attribute as ``case:<key>``, typed; a missing attribute is null.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from momentos.imports.readers import ImportOptions, open_log
from momentos.imports.readers.xml_guard import check_prolog
from momentos.kit.background import in_background

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger files are streamed (constant memory) rather than read whole."""
_LIST_TEXT = "[Attribute {"
"""How r4pm renders an XES <list> attribute as text; the streaming reader leaves lists out, so such a frame is
declined rather than imported differently."""


@dataclass
class FastRead:
    """A log read whole, and the check of its file, still running on a thread of its own (it parses the XML again,
    mostly without holding the GIL, while the caller computes and writes the rows)."""

    frame: pl.DataFrame
    _check: Future[bool]
    _cancelled: threading.Event

    def confirmed(self) -> bool:
        """Wait for the check: True if the frame holds exactly what the streaming reader would read."""
        return self._check.result()

    def cancel(self) -> None:
        """Stop the check (its answer is no longer wanted)."""
        self._cancelled.set()


def start_read(path: Path, options: ImportOptions) -> FastRead | None:
    """Read the log at ``path`` into a frame and start checking the file; None when the fast reader should not be
    used for it. Whatever is built from the frame must wait for :meth:`FastRead.confirmed` before it is kept.

    Raises ImportFailed only for what the streaming reader would refuse too (a DTD or entity declaration).
    """
    if not _eligible(path, options):
        return None
    try:
        from r4pm import df as r4pm_df  # an optional speed-up: without it, every XES file is streamed
    except ImportError:
        return None
    _check_prolog(path)
    with _READING, _stderr_captured() as complaints:
        try:
            frame, meta = r4pm_df.import_xes(str(path))
        except Exception:  # any failure of the fast reader: the streaming reader says what is wrong
            return None
    if complaints():  # r4pm reports a bad value on stderr and stores a default (0, false, a nil UUID) instead
        return None
    if not isinstance(frame, pl.DataFrame) or not _usable(frame):
        return None
    keys = {"concept:name", "time:timestamp", *_global_keys(meta)}
    cancelled = threading.Event()

    def check() -> bool:
        found = _scan(path, keys, cancelled)
        return found is not None and _all_explicit(frame, keys, found)

    return FastRead(frame, in_background(check, "xes-check"), cancelled)


_READING = threading.Lock()
"""One fast read at a time per process: stderr is redirected while it runs."""


@contextmanager
def _stderr_captured() -> Iterator[Callable[[], bytes]]:
    """Redirect file descriptor 2 to a temporary file; afterwards, copy what was written to the real stderr (so
    nothing another thread logged meanwhile is lost) and let the caller read it."""
    captured = b""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured = sink.read()
            if captured:
                sys.stderr.write(captured.decode(errors="replace"))
                sys.stderr.flush()


def _eligible(path: Path, options: ImportOptions) -> bool:
    """The fast reader knows pm4py's default columns and treats offset-less times as UTC: only then is it used."""
    custom = (options.case_column, options.activity_column, options.timestamp_column, options.timestamp_format,
              options.customer_column, options.channel_column, options.moment_column)
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return (options.bulk and all(value is None for value in custom) and options.timezone.upper() == "UTC"
            and size <= MAX_FILE_BYTES)


class _Nothing:
    """A parser target that builds nothing: the parse only checks that the document is well-formed XML."""

    def close(self) -> None:
        return None


@dataclass
class _Counts:
    traces: int = 0
    keys: dict[str, int] = field(default_factory=dict)
    """Attributes with that key (written key="…"), anywhere after the first <trace>."""
    single_quoted: int = 0
    """Attributes written key='…' (not counted by key: such a file is read by the streaming reader)."""


def _scan(path: Path, keys: set[str], cancelled: threading.Event | None = None) -> _Counts | None:
    """Check that the file is well-formed XML (r4pm skips over some malformations), counting traces and the
    attributes with the given keys on the way; None if it is not well-formed (or the scan was cancelled)."""
    target: Any = _Nothing()  # lxml-stubs want a full ParserTarget; close() is all a target needs
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    patterns = {key: f'key="{key}"'.encode() for key in keys}
    counts = _Counts(keys=dict.fromkeys(keys, 0))
    carry, in_body = b"", False
    try:
        with open_log(path) as opened:
            for block in iter(lambda: opened.stream.read(1 << 20), b""):
                if cancelled is not None and cancelled.is_set():
                    return None
                parser.feed(block)
                text = carry + block
                cut = text.rfind(b">") + 1  # an attribute's key never spans a tag end: count up to the last one
                text, carry = text[:cut], text[cut:]
                if not in_body:
                    start = text.find(b"<trace")
                    if start < 0:
                        continue
                    text, in_body = text[start:], True
                counts.traces += text.count(b"<trace")
                counts.single_quoted += text.count(b"key='")
                for key, pattern in patterns.items():
                    counts.keys[key] += text.count(pattern)
            parser.close()
    except (etree.XMLSyntaxError, OSError, EOFError, zlib.error):
        return None
    return counts


def _global_keys(meta: str) -> set[str]:
    """The keys of the log's <global> attributes, which r4pm fills in (with their default) where one is missing."""
    try:
        described = json.loads(meta)
    except ValueError:
        return set()
    return {str(item.get("key")) for scope in ("global_trace_attrs", "global_event_attrs")
            for item in described.get(scope) or [] if isinstance(item, dict)}


def _all_explicit(frame: pl.DataFrame, keys: set[str], found: _Counts) -> bool:
    """Every trace (event) with a column for a key really has that attribute: so no default of a <global> was filled
    in (the streaming reader, like pm4py, leaves a missing attribute missing) and no case id, activity or time is
    made up."""
    if found.single_quoted:
        return False
    for key in keys:
        expected = found.traces * (f"case:{key}" in frame.columns) + frame.height * (key in frame.columns)
        if found.keys[key] != expected:
            return False
    return True


def _check_prolog(path: Path) -> None:
    """Refuse a DTD or entity declaration in the document's prolog: the streaming reader's guard, the same errors."""
    with open_log(path) as opened:
        try:
            check_prolog(opened.stream, str(path))
        except (OSError, EOFError, zlib.error):
            return  # unreadable: the fast reader fails too, and the streaming reader says why


def _usable(frame: pl.DataFrame) -> bool:
    """Only plain typed attributes, finite numbers, and the three columns every event needs."""
    schema = frame.schema
    if (frame.height == 0 or any(c not in schema for c in ("case:concept:name", "concept:name", "time:timestamp"))
            or schema["case:concept:name"] != pl.String or schema["concept:name"] != pl.String):
        return False
    timestamp = schema["time:timestamp"]
    if not isinstance(timestamp, pl.Datetime) or timestamp.time_zone is not None:
        return False
    checks: list[pl.Expr] = []
    for name, dtype in schema.items():
        if dtype == pl.String:
            checks.append(pl.col(name).str.starts_with(_LIST_TEXT).any())
        elif dtype.is_float():
            checks.append((~pl.col(name).is_finite()).any())
        elif not (dtype.is_integer() or dtype == pl.Boolean or isinstance(dtype, pl.Datetime)):
            return False
    flagged = frame.select(checks).row(0) if checks else ()
    return not any(bool(v) for v in flagged)
