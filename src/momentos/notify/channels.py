"""What every channel adapter shares: a delivery error (retried unless permanent) and the rendered message."""

from __future__ import annotations

from dataclasses import dataclass

FAILURES = ("no_provider", "hard_bounce", "provider_rejected", "receiver_rejected", "unsafe_url", "rejected")
"""Kinds of permanent failure, stored with the attempt and shown translated (``policy.messages``)."""


class DeliveryError(Exception):
    """A failed delivery. ``permanent``: this channel will not take the message (a hard bounce, an invalid number,
    a 4xx from the provider, no provider): the policy chooses the next channel; otherwise the same channel is
    retried after a backoff. ``failure`` names the kind of a permanent failure (one of ``FAILURES``)."""

    def __init__(self, message: str, *, permanent: bool = False, failure: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.failure = (failure or "rejected") if permanent else None


def client_error(status: int) -> bool:
    """An HTTP answer that will not change on a retry: a 4xx other than 408 (timeout) and 429 (slow down)."""
    return 400 <= status < 500 and status not in (408, 429)


@dataclass(frozen=True)
class Message:
    delivery_id: str
    subject: str
    text: str
    language: str
    html: str | None = None
    """An HTML alternative (e-mail only), from an organization's template override."""
