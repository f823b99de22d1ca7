"""What every channel adapter shares: a delivery error (retried unless permanent) and the rendered message."""

from __future__ import annotations

from dataclasses import dataclass


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    delivery_id: str
    subject: str
    text: str
    language: str
    html: str | None = None
    """An HTML alternative (e-mail only), from an organization's template override."""
