"""Strict JSON for untrusted bodies: what is refused, with which code, and what still parses."""

from __future__ import annotations

import json

import pytest

from momentos.kit.json_input import MAX_DEPTH, UnsafeJson, check_depth, contains_nul, loads_strict


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"a": NaN}', "non_finite_number"), (b"[Infinity]", "non_finite_number"), (b"-Infinity", "non_finite_number"),
    (b'{"a": "x\\u0000y"}', "nul_character"), (b'{"a\\u0000": 1}', "nul_character"),
    (b'["\\\\\\u0000"]', "nul_character"),  # an escaped backslash, then an escaped NUL
    (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"), (b"[" * 65 + b"]" * 65, "json_too_deep"),
    (b'{"a": ', "malformed_json"), (b"\xff\xfe\x00", "malformed_json"), (b"1" * 5000, "malformed_json"),
])
def test_hostile_bodies_are_refused_with_their_code(raw: bytes, code: str) -> None:
    with pytest.raises(UnsafeJson) as refused:
        loads_strict(raw)
    assert refused.value.code == code


@pytest.mark.parametrize("raw", [
    b'{"a": "\\\\u0000"}',  # a backslash followed by the text u0000: no NUL
    b"[" * 64 + b"]" * 64, b'{"n": 1e308, "s": "caf\\u00e9"}', '{"a": "ñ"}'.encode("utf-16"),
])
def test_ordinary_json_still_parses(raw: bytes) -> None:
    assert loads_strict(raw) == json.loads(raw)


def test_depth_is_checked_without_recursion() -> None:
    value: list[object] = []
    for _ in range(50_000):
        value = [value]
    with pytest.raises(UnsafeJson):
        check_depth(value)
    check_depth([[[]]], MAX_DEPTH)


def test_contains_nul_looks_everywhere() -> None:
    assert contains_nul({"a": [1, {"b": ("x", "y\x00")}]})
    assert contains_nul({"k\x00": 1})
    assert not contains_nul({"a": ["ok", 1, None, 2.5]})


def test_a_nul_is_located() -> None:
    with pytest.raises(UnsafeJson) as refused:
        loads_strict(b'{"items": [{"text": "ok"}, {"text": "a\\u0000"}]}')
    assert refused.value.detail == {"loc": ["items", 1, "text"], "index": 1}
