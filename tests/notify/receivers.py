"""Real receivers on loopback: an SMTP server (aiosmtpd, which can refuse recipients or messages with a chosen
reply), a webhook receiver that checks signatures and an SMS provider (JSON POSTs, answering a chosen status)."""

from __future__ import annotations

import asyncio
import email
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from momentos.notify.webhook import verify
from tests.conftest import free_port


@dataclass
class Inbox:
    port: int = 0
    delay: float = 0.0
    messages: list[email.message.Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rcpt_reply: str | None = None
    """Answer to RCPT TO instead of accepting (e.g. ``550 5.1.1 No such user``, ``421 4.3.2 Try later``)."""
    data_reply: str | None = None
    """Answer to the end of DATA instead of accepting (e.g. ``550 5.7.1 Message refused``)."""
    refuse_times: int | None = None
    """How many times the replies above are given before the server accepts (None: always)."""
    refused: int = 0

    @property
    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)

    def _refusal(self, reply: str | None) -> str | None:
        with self.lock:
            if reply is None or (self.refuse_times is not None and self.refused >= self.refuse_times):
                return None
            self.refused += 1
            return reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        refusal = self._refusal(self.rcpt_reply)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        refusal = self._refusal(self.data_reply)
        if refusal is not None:
            return refusal
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


@contextmanager
def smtp_server(*, rcpt_reply: str | None = None, data_reply: str | None = None,
                refuse_times: int | None = None) -> Iterator[Inbox]:
    inbox = Inbox(port=free_port(), rcpt_reply=rcpt_reply, data_reply=data_reply, refuse_times=refuse_times)
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Hooks:
    secret: str = ""
    port: int = 0
    fail_first: int = 0
    delay: float = 0.0
    received: list[tuple[str, bytes]] = field(default_factory=list)
    bad_signatures: int = 0
    cut_off: int = 0
    """Requests whose body ended before its declared length: the sender died mid-request (the kill tests). Neither
    a delivery nor a bad signature; the notification is redelivered."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(i for i, _ in self.received)


@contextmanager
def webhook_receiver(secret: str = "", fail_first: int = 0) -> Iterator[Hooks]:
    hooks = Hooks(secret=secret, fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                with hooks.lock:
                    hooks.cut_off += 1
                return  # the connection is gone: nobody reads an answer
            if hooks.delay:
                time.sleep(hooks.delay)
            msg_id = self.headers.get("webhook-id", "")
            ts = int(self.headers.get("webhook-timestamp", "0"))
            ok = not hooks.secret or verify(hooks.secret, msg_id, ts, body, self.headers.get("webhook-signature", ""))
            with hooks.lock:
                if hooks.fail_first > 0:
                    hooks.fail_first -= 1
                    status = 503
                elif not ok:
                    hooks.bad_signatures += 1
                    status = 401
                else:
                    hooks.received.append((msg_id, body))
                    status = 204
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with _serving(Handler) as hooks.port:
        yield hooks


@dataclass
class Texts:
    """What an SMS / WhatsApp provider received: (idempotency key, JSON body) per accepted request."""

    port: int = 0
    status: int = 202
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"


@contextmanager
def sms_provider(status: int = 202) -> Iterator[Texts]:
    """A local HTTP server acting as the SMS provider (the ``HttpSmsProvider`` protocol)."""
    texts = Texts(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with texts.lock:
                status = texts.status
                if status < 300:
                    texts.received.append((self.headers.get("idempotency-key", ""), json.loads(body)))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with _serving(Handler) as texts.port:
        yield texts


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """A threaded HTTP server on a free loopback port for the duration of the block; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
