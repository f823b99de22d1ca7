"""Strict JSON for untrusted bodies: no NaN/Infinity, no NUL characters, a bounded nesting depth.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON, and refused by PostgreSQL's JSON
types), accepts ``\\u0000`` in strings (refused by PostgreSQL's text and JSON types, invalid in XML exports) and
recurses once per nesting level (a body nested a thousand deep raises ``RecursionError``). ``loads_strict`` refuses
all three with :class:`UnsafeJson`, which names a stable ``code``; callers turn it into their 400.
Imports no domain package.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (the body itself is depth 1)."""
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class UnsafeJson(ValueError):
    """A body refused by :func:`loads_strict`: ``code`` is stable, ``detail`` is structured."""

    def __init__(self, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or {}


def loads_strict(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` as JSON, refusing non-finite numbers, NUL characters and nesting deeper than ``max_depth``.

    A NUL's ``detail`` names where it is: ``loc`` (keys and positions) and ``index``, the first position on the way
    (the item of the body's list: the event of a batch, the feedback item…)."""
    text = _text(raw)
    if "\x00" in text:
        raise UnsafeJson("nul_character", "The body contains a NUL character, which is not accepted.")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise UnsafeJson("malformed_json", "The body is not valid JSON.",
                         {"error": exc.msg, "position": exc.pos}) from exc
    except RecursionError as exc:
        raise _too_deep(max_depth) from exc
    except UnsafeJson:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise UnsafeJson("malformed_json", "The body is not valid JSON.", {"error": str(exc)}) from exc
    check_depth(value, max_depth)
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        loc = nul_location(value) or []
        index = next((part for part in loc if isinstance(part, int)), None)
        raise UnsafeJson("nul_character", "A text contains a NUL character (\\u0000), which is not accepted.",
                         {"loc": loc, **({"index": index} if index is not None else {})})
    return value


def nul_location(value: Any) -> list[str | int] | None:
    """The path (keys and list positions) to the first string holding a NUL character, or None."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return path
        elif isinstance(node, dict):
            for key, child in reversed(node.items()):
                if "\x00" in key:
                    return [*path, key.replace("\x00", "\\u0000")]
                stack.append((child, [*path, key]))
        elif isinstance(node, list):
            stack.extend((child, [*path, i]) for i, child in reversed(list(enumerate(node))))
    return None


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse arrays and objects nested deeper than ``max_depth``; iterative, so any depth is safe to check."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > max_depth:
                    raise _too_deep(max_depth)
                stack.append((child, depth + 1))


def contains_nul(value: Any) -> bool:
    """Whether any string in ``value`` (nested dicts, lists, tuples; keys too) holds a NUL character."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode(json.detect_encoding(raw))
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnsafeJson("malformed_json", "The body is not valid JSON.",
                         {"error": f"not valid Unicode: {exc}"}) from exc


def _refuse_constant(name: str) -> NoReturn:
    raise UnsafeJson("non_finite_number", f"The body contains {name}, which is not a JSON number.",
                     {"constant": name})


def _too_deep(max_depth: int) -> UnsafeJson:
    return UnsafeJson("json_too_deep", f"The body is nested deeper than {max_depth} levels.",
                      {"max_depth": max_depth})
