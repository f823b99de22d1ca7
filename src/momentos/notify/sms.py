"""SMS / WhatsApp provider adapters: one interface, one HTTP adapter (JSON POST with an idempotency key)."""

from __future__ import annotations

from typing import Protocol

import httpx

from momentos.notify.channels import DeliveryError, Message, client_error
from momentos.notify.settings import NotifySettings


class SmsProvider(Protocol):
    def send(self, channel: str, to: str, message: Message) -> None:
        """Deliver ``message`` to the phone ``to`` on ``sms`` or ``whatsapp``; raise DeliveryError on failure."""


class HttpSmsProvider:
    """A generic HTTP provider: ``POST {url}`` with ``{"channel", "to", "text", "id"}``, a bearer token and
    ``Idempotency-Key: <delivery id>`` (providers drop a repeated key, so a retry is not a second message)."""

    def __init__(self, url: str, token: str | None, timeout: float,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url, self.token, self.timeout, self.transport = url, token, timeout, transport

    def send(self, channel: str, to: str, message: Message) -> None:
        headers = {"Idempotency-Key": message.delivery_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"channel": channel, "to": to, "text": message.text, "id": message.delivery_id}
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport, follow_redirects=False) as client:
                response = client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"sms: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:  # a 4xx (an invalid number, a refused message) will not change on a retry
            raise DeliveryError(f"sms: HTTP {response.status_code}", permanent=client_error(response.status_code),
                                failure="provider_rejected")


def provider_from(settings: NotifySettings) -> SmsProvider | None:
    if not settings.sms_url:
        return None
    token = settings.sms_token.get_secret_value() if settings.sms_token else None
    return HttpSmsProvider(settings.sms_url, token, settings.timeout_seconds)
