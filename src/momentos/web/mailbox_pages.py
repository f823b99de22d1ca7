"""The local mailbox (``/ops/mailbox``): the messages the local channel delivered, newest first, each as its
receiver would see it — an e-mail's HTML in a sandboxed frame (no scripts, no requests of its own), SMS and
WhatsApp as text bubbles. Read by everyone who reads operations (owner, manager, analyst)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from momentos.auth.deps import DbSession
from momentos.notify import mailbox
from momentos.web.access import Reader
from momentos.web.rendering import PagesDep

router = APIRouter()


def _page_number(value: str | None) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else 1


@router.get("/ops/mailbox", name="mailbox")
def mailbox_page(request: Request, viewer: Reader, session: DbSession, pages: PagesDep, channel: str | None = None,
                 page: str | None = None) -> Response:
    channel = channel if channel in mailbox.CHANNELS else None
    found = mailbox.page_of(session, viewer.org_id, _page_number(page), channel)
    local = bool(request.app.state.settings.notify.local_mailbox)
    return pages.render(request, "mailbox.html", {"found": found, "channel": channel, "channels": mailbox.CHANNELS,
                                                  "local": local}, viewer=viewer)
