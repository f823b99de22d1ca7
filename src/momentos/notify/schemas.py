"""Request/response models of notifications and webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from momentos.kit.params import BigInt
from momentos.policy.schemas import ChannelOut, OutcomeName, PriorityName, Purpose, PurposeName, ReasonRead


class ContactRequest(BaseModel):
    """Ask for a contact with a customer, or about one process (its customer); the policy decides if, when and
    how. With ``subject`` and ``text`` the caller's own words are sent; without them, the purpose's template
    (the organization's override or the packaged default) for the process's moment (or ``moment``)."""

    model_config = ConfigDict(extra="forbid")

    customer: str | None = None
    process_id: BigInt | None = None
    purpose: Purpose
    priority: Literal["normal", "transactional"] = "normal"
    proactive: bool = True
    """False when answering the customer (allowed even where the moment's intensity is ``on_request``)."""
    moment: str | None = Field(default=None, max_length=64)
    """The moment the contact is about (default: the process's current moment)."""
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    text: str | None = Field(default=None, min_length=1, max_length=5000)
    params: dict[str, str] = Field(default_factory=dict, max_length=20)
    """Template variables (e.g. ``promise_name``, ``due_date``, ``survey_url``)."""
    dedup_key: str | None = Field(default=None, max_length=200)
    """The caller's idempotency key: the same key twice makes one notification."""

    @model_validator(mode="after")
    def _who_and_what(self) -> ContactRequest:
        if self.customer is None and self.process_id is None:
            raise ValueError("give a customer or a process_id")
        if (self.subject is None) != (self.text is None):
            raise ValueError("give both subject and text, or neither (to use the purpose's template)")
        return self


class AttemptRead(BaseModel):
    """One delivery attempt. ``outcome``: ``sent``, ``temporary_failure`` (retried on the same channel),
    ``permanent_failure`` (no channel left) or ``switched`` (the next channel is ``next_channel``); ``reason``
    explains a permanent failure."""

    number: int
    channel: ChannelOut
    started_at: datetime
    ended_at: datetime
    outcome: str
    error: str | None
    next_channel: str | None
    reason: ReasonRead | None


class SwitchRead(BaseModel):
    """The notification left ``from_channel`` for ``to_channel`` (None: no channel was left), and why:
    ``channel_unavailable`` (the organization cannot deliver there) or ``channel_failed`` (a permanent failure)."""

    at: datetime
    from_channel: ChannelOut
    to_channel: ChannelOut | None
    reason: ReasonRead


class NotificationRead(BaseModel):
    id: int
    customer_id: int
    process_id: int | None
    moment: str | None
    purpose: PurposeName
    priority: PriorityName
    template: str
    dedup_key: str
    delivery_id: str
    status: str
    channel: ChannelOut | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    failed_channels: dict[str, str] = Field(default_factory=dict)
    """Channels that failed permanently for this notification → the kind of failure."""
    delivery_attempts: list[AttemptRead] = Field(default_factory=list)
    switches: list[SwitchRead] = Field(default_factory=list)


class ContactDecisionBrief(BaseModel):
    """The policy's latest decision on a requested contact: ``send`` (pending now), ``defer`` (until, e.g. quiet
    hours or ``cap_reached``) or ``suppress``, with its reason codes (explained, translated, by
    ``GET /api/v1/customers/{id}/contact-decisions``)."""

    outcome: OutcomeName
    channel: ChannelOut | None
    defer_until: datetime | None
    reasons: list[str]


class ContactRead(NotificationRead):
    """A requested contact: the notification and what the policy decided about it."""

    decision: ContactDecisionBrief | None


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)


class WebhookEndpointUpdate(BaseModel):
    """Change the URL (checked against SSRF), turn the endpoint on or off, or rotate its signing secret: the
    previous secret keeps signing alongside the new one for ``grace_seconds`` (Standard Webhooks rotation)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = None
    rotate_secret: bool = False
    grace_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    active: bool
    secret: str | None = None
    """Shown once, when created or rotated."""
    previous_expires_at: datetime | None = None
    """Until when the previous secret still signs (after a rotation)."""


class TemplatePreview(BaseModel):
    template: str
    language: str
    subject: str
    text: str
    html: str | None = None
    source: str
    """``override:<id>`` or ``packaged:<file>``."""


class TemplateOverrideIn(BaseModel):
    """Jinja templates (sandboxed; see GET /api/v1/notification-templates for the variables)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=20_000)
    html: str | None = Field(default=None, max_length=50_000)
    """An HTML body for e-mail (autoescaped)."""


class TemplateOverrideRead(BaseModel):
    id: int
    purpose: str
    moment: str
    channel: str
    language: str
    subject: str
    body: str
    html: str | None
    updated_at: datetime


class TemplateCatalog(BaseModel):
    purposes: list[str]
    variables: dict[str, str]
    overrides: list[TemplateOverrideRead]
