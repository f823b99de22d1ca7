"""Reading request bodies safely: size caps before and after gzip, clear errors for bad or hostile JSON."""

from __future__ import annotations

import zlib
from typing import Any

from starlette.requests import Request

from momentos.config import IngestSettings
from momentos.errors import BadRequest, PayloadTooLarge
from momentos.kit.json_input import UnsafeJson, loads_strict

OWN_READERS = ("/v1/", "/api/v1/events", "/api/v1/cloudevents")
"""The doors' paths: their routes read bodies here (after gzip, strict), so the app-wide ``kit.request_guard`` leaves
them alone."""


async def read_raw(request: Request, limits: IngestSettings, max_bytes: int) -> bytes:
    """The body, decompressed if gzip-encoded; 413 past ``max_bytes`` (or the decompression cap)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_decompressed_bytes:
        raise PayloadTooLarge(detail={"limit_bytes": max_bytes})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_decompressed_bytes:
            raise PayloadTooLarge(detail={"limit_bytes": max_bytes})
        chunks.append(chunk)
    body = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        body = gunzip_capped(body, limits.max_decompressed_bytes)
    if len(body) > max_bytes:
        raise PayloadTooLarge(detail={"limit_bytes": max_bytes, "size_bytes": len(body)})
    return body


def gunzip_capped(data: bytes, cap: int) -> bytes:
    """Decompress gzip without ever holding more than ``cap`` bytes (a gzip bomb gets 413, not memory)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as exc:
        raise BadRequest("The body is not valid gzip.", code="bad_gzip") from exc
    if len(out) > cap or d.unconsumed_tail:
        raise PayloadTooLarge("The decompressed body is too large.", code="decompressed_too_large",
                              detail={"limit_bytes": cap})
    if not d.eof:
        raise BadRequest("The gzip body is truncated.", code="bad_gzip")
    return out


def parse_json(body: bytes) -> Any:
    """Strict JSON (``kit.json_input.loads_strict``): not JSON, ``NaN``/``Infinity``, ``\\u0000`` or nesting deeper
    than 64 levels is a 400 with its own code (``malformed_json``, ``non_finite_number``, ``nul_character``,
    ``json_too_deep``)."""
    try:
        return loads_strict(body)
    except UnsafeJson as exc:
        raise BadRequest(exc.message, code=exc.code, detail=exc.detail or None) from exc
