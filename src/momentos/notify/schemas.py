"""Request/response models of notifications and webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from momentos.policy.schemas import Purpose


class ContactRequest(BaseModel):
    """Ask for a contact with a customer (optionally about one process); the policy decides if, when and how."""

    model_config = ConfigDict(extra="forbid")

    customer: str
    purpose: Purpose
    priority: Literal["normal", "transactional"] = "normal"
    proactive: bool = True
    """False when answering the customer (allowed even where the moment's intensity is ``on_request``)."""
    subject: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=5000)
    process_id: int | None = None
    dedup_key: str | None = Field(default=None, max_length=200)
    """The caller's idempotency key: the same key twice makes one notification."""


class NotificationRead(BaseModel):
    id: int
    customer_id: int
    process_id: int | None
    moment: str | None
    purpose: str
    priority: str
    template: str
    dedup_key: str
    delivery_id: str
    status: str
    channel: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    active: bool
    secret: str | None = None
    """Shown once, when created or rotated."""


class TemplatePreview(BaseModel):
    template: str
    language: str
    subject: str
    text: str
