"""An ASGI middleware that refuses hostile input before any route sees it, with the usual error format.

- a NUL character in the path or the query string (PostgreSQL refuses NUL in text: it must be a 400, not a 500);
- a JSON body (``application/json``, any ``application/…+json``, or no content type, as FastAPI then reads JSON;
  not content-encoded) that ``loads_strict`` refuses: ``NaN``/``Infinity``, ``\\u0000``, nesting deeper than
  ``MAX_DEPTH`` (a body that is not JSON at all is left to the route): 400, and 422 for a ``\\u0000`` (a valid
  JSON value no field accepts; ``detail`` names its ``loc`` and ``index``);
- a form body (``application/x-www-form-urlencoded``) carrying ``%00``;
- a JSON or form body over ``max_body_bytes`` (413).

Multipart uploads and compressed bodies pass through untouched: the upload page and the doors check those
themselves (``doors.body.parse_json`` is strict too). Imports no domain package.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from momentos.kit.json_input import UnsafeJson, loads_strict

_FORM = "application/x-www-form-urlencoded"


class RequestGuard:
    """``own_readers``: paths (exact, or prefixes ending in ``/``) whose routes read their bodies strictly
    themselves (the ingestion doors, after gzip, with their own status rules); their bodies are not read twice."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, own_readers: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.own_readers = own_readers

    def _reads_its_own(self, path: str) -> bool:
        return any(path.startswith(p) if p.endswith("/") else path == p for p in self.own_readers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"") \
                or b"\x00" in scope.get("query_string", b""):
            await _reject(send, 400, "nul_character", "The address contains a NUL character, which is not accepted.")
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        kind = _body_kind(headers)
        if kind is None or self._reads_its_own(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        body = await _read(receive, self.max_body_bytes)
        if body is None:
            await _too_large(send, self.max_body_bytes)
            return
        problem = _problem(kind, body)
        if problem is not None:  # a NUL is a valid JSON value that no field accepts: 422, as for a bad field
            status = 422 if problem.code == "nul_character" and kind == "json" else 400
            await _reject(send, status, problem.code, problem.message, problem.detail)
            return
        await self.app(scope, _replay(body, receive), send)


def _body_kind(headers: dict[str, str]) -> str | None:
    if headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == _FORM:
        return "form"
    if not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return "json"
    return None


def _problem(kind: str, body: bytes) -> UnsafeJson | None:
    if not body.strip():
        return None
    if kind == "form":
        if b"%00" in body or b"\x00" in body:
            return UnsafeJson("nul_character", "The form contains a NUL character, which is not accepted.")
        return None
    try:
        loads_strict(body)
    except UnsafeJson as exc:
        # a body that is not JSON at all is left to the route (FastAPI's 422, the doors' 400)
        return None if exc.code == "malformed_json" else exc
    return None


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    await _reject(send, 413, "payload_too_large", "The request body is too large.", {"limit_bytes": limit})


async def _reject(send: Send, status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
    payload = json.dumps({"code": code, "message": message, "detail": detail or None}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
