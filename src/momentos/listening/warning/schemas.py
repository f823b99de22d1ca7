"""Request/response models of early warning: an alert (a warning episode) and the listening settings (the alert
address, and the state of the organization's sentiment adapter, read-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scope: str
    service_id: int | None
    started_at: datetime
    last_hour_at: datetime
    count: int
    negatives: int
    detail: dict[str, Any]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alert_email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class SettingsRead(BaseModel):
    alert_email: str | None
    adapter_labels: int
    adapter_fitted_at: datetime | None
