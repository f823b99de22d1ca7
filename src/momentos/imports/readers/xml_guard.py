"""The one guard both XES roads (streaming, bulk) put in front of their parsers: no DTD, no entity declaration.

A document type declaration may only stand in the prolog, after the XML declaration and any comments, processing
instructions and white space (XML 1.0 §2.8). So the guard decodes the prolog the way an XML parser would (XML 1.0
Appendix F: a byte order mark or the first four bytes, then the encoding the declaration names: UTF-8, UTF-16 LE/BE,
UTF-32 LE/BE, Latin-1, UTF-7…) and walks it token by token up to the root element. A ``<!DOCTYPE`` or ``<!ENTITY``
there is refused with the file, the line and the reason; so is anything else that is not XML before the root element,
an encoding Python cannot decode, or a prolog longer than :data:`MAX_PROLOG_BYTES`. A declaration in the body is not
well-formed XML, which the parsers refuse (and they are configured never to load a DTD, resolve an entity or touch
the network).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from momentos.errors import ImportFailed
from momentos.imports.readers import ByteStream

PROLOG_BLOCK = 64 * 1024
MAX_PROLOG_BYTES = 4 * 1024 * 1024
REFUSED = "DTD and entity declarations (<!DOCTYPE>, <!ENTITY>) are not allowed in XES files"

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_NO_BOM = {b"\x00\x00\x00<": "utf-32-be", b"<\x00\x00\x00": "utf-32-le", b"\x00<\x00?": "utf-16-be",
           b"<\x00?\x00": "utf-16-le"}
_DECLARED = re.compile(r"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_NAME_START = re.compile(r"<[^\s!?/<>]")
_SPACE = " \t\r\n"


@dataclass(frozen=True)
class Prolog:
    """The bytes read so far (to be handed to the parser first) and the encoding they were checked in."""

    head: bytes
    encoding: str


def check_prolog(stream: ByteStream, file: str, first: int = PROLOG_BLOCK) -> Prolog:
    """Read ``stream`` up to its root element and refuse a DTD or entity declaration (or anything that is not XML)
    before it; returns what was read, which the caller passes on to its parser unchanged."""
    head = stream.read(max(first, PROLOG_BLOCK))
    while 0 < len(head) < 4:  # the encoding is told by the first four bytes
        more = stream.read(PROLOG_BLOCK)
        if not more:
            break
        head += more
    encoding, skip = _initial_encoding(head)
    while True:
        text = _decoded(head[skip:], encoding, file)
        declared = _declared_encoding(text, encoding)
        if declared is not None and declared != encoding:
            encoding = declared
            continue
        if _scan(text, file):
            return Prolog(head, encoding)
        if len(head) >= MAX_PROLOG_BYTES:
            raise ImportFailed(file, None, "invalid XML: the prolog (before the root element) is longer than 4 MiB")
        more = stream.read(PROLOG_BLOCK)
        if not more:
            if _scan(_decoded(head[skip:], encoding, file, final=True), file):
                return Prolog(head, encoding)
            raise ImportFailed(file, None, "invalid XML: no root element")
        head += more


def _initial_encoding(head: bytes) -> tuple[str, int]:
    """The encoding a byte order mark or the first four bytes tell, and the length of the mark."""
    for bom, name in _BOMS:
        if head.startswith(bom) and not (name == "utf-16-le" and head.startswith(codecs.BOM_UTF32_LE)):
            return name, len(bom)
    return _NO_BOM.get(head[:4], "utf-8"), 0


def _decoded(data: bytes, encoding: str, file: str, *, final: bool = False) -> str:
    """The text of ``data`` (an incomplete last character is held back unless ``final``). Undecodable bytes end the
    text: the prolog must be complete before them, else they are refused (:func:`_scan` says)."""
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=final)
    except LookupError as exc:
        raise ImportFailed(file, 1, f"invalid XML: unsupported encoding {encoding}") from exc
    except UnicodeDecodeError as exc:
        text = data[:exc.start].decode(encoding, errors="replace")
        if _scan(text, file):
            return text
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(file, line, f"invalid XML: the prolog cannot be decoded as {encoding}") from exc


def _declared_encoding(text: str, current: str) -> str | None:
    """The encoding the XML declaration names, as a Python codec name; a 16/32-bit one keeps the detected byte
    order (the declaration says 'UTF-16', the mark or the bytes say which)."""
    found = _DECLARED.match(text)
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1)).name
    except LookupError:
        return found.group(1).lower()  # _decoded says it cannot be read
    if name.startswith(("utf-16", "utf-32")) and current.startswith(name[:6]):
        return current
    if current.startswith(("utf-16", "utf-32")) and not name.startswith(("utf-16", "utf-32")):
        return current  # bytes say 16/32-bit: a declaration cannot change the width
    return name


def _scan(text: str, file: str) -> bool:
    """Walk the prolog in ``text``: True once the root element starts, False if more text is needed; a declaration
    or anything else that may not stand there is refused."""
    at = 0
    while True:
        while at < len(text) and text[at] in _SPACE:
            at += 1
        rest = text[at:at + 9]
        if at >= len(text) or (len(rest) < 9 and "<!DOCTYPE".startswith(rest.upper())):
            return False  # more needed
        if text.startswith("<?", at):
            end = text.find("?>", at + 2)
        elif text.startswith("<!--", at):
            end = text.find("-->", at + 4)
        elif _NAME_START.match(text, at):
            return True
        else:
            line = text.count("\n", 0, at) + 1
            if text.startswith("<!", at):
                raise ImportFailed(file, line, REFUSED)
            raise ImportFailed(file, line, "invalid XML: content before the root element")
        if end < 0:
            return False
        at = end + 2 if text[end] == "?" else end + 3
