"""Delivery settings (prefix ``MOMENTOS_NOTIFY_``), built by the worker and the app, never at import."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOMENTOS_NOTIFY_", env_nested_delimiter="__", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Momentos <no-reply@momentos.invalid>"
    message_id_domain: str = "momentos.invalid"
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    webhook_allow: list[str] = []
    """Hosts, IPs or networks (CIDR) exempt from the SSRF checks, e.g. ``["127.0.0.1/32"]`` for tests and
    on-premise receivers. Empty: only public addresses are allowed."""
    public_url: str = ""
    """Prefix of status-page links stored as paths (``/s/<token>``); the worker fills it from the app settings."""
    timeout_seconds: float = 10.0
    lease_seconds: float = 30.0
    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    batch_size: int = 50
    poll_seconds: float = 0.5
    heartbeat_seconds: float = 5.0
    """How often a worker writes its heartbeat row (at most once per round of its loop)."""
