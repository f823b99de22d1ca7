"""Typed settings read from the environment (prefix ``MOMENTOS_``), nested with ``__``."""

from __future__ import annotations

import ipaddress
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development


class IngestSettings(BaseModel):
    max_batch_bytes: int = 500 * 1024
    max_event_bytes: int = 32 * 1024
    max_decompressed_bytes: int = 2 * 1024 * 1024
    rate_per_second: float = 500.0
    """Sustained requests per second allowed per write key (token bucket)."""
    burst: int = 1000
    max_upload_bytes: int = 50 * 1024 * 1024
    """Largest event-log file accepted by the upload form of the operations page (the CLI has no limit)."""
    earliest: date = date(1900, 1, 1)
    """Events stamped before this date are refused (doors: 400 naming the event; imports: file and line);
    ``MOMENTOS_INGEST__EARLIEST=1900-01-01``."""
    max_future_days: int = Field(7, ge=0, le=3650)
    """Events stamped more than this many days ahead of the server clock are refused;
    ``MOMENTOS_INGEST__MAX_FUTURE_DAYS=7``."""


class ApiSettings(BaseModel):
    """The read API (``/api/v1/…`` with an admin key): a token bucket per key, beside ingestion's own."""

    rate_per_second: float = 50.0
    """Sustained requests per second allowed per admin key (``MOMENTOS_API__RATE_PER_SECOND``)."""
    burst: int = 200
    """Requests a key may make at once before the rate applies (``MOMENTOS_API__BURST``)."""


LOCAL_CHANNELS = ("email", "sms", "whatsapp")
"""What the local mailbox delivers on (besides organizations' webhooks)."""


class AnalysisSettings(BaseModel):
    """Text analysis speed (``MOMENTOS_ANALYSIS__THREADS`` …); see ``listening/analysis/encoder.py``."""

    threads: int = Field(0, ge=0, le=256)
    """Threads of the encoder; 0: the cores this process may use (an explicit ``OMP_NUM_THREADS`` wins). Set 1
    where several workers share few cores."""
    max_tokens: int = Field(512, ge=16, le=512)
    """Tokens of a text the encoder reads (the model's limit is 512); longer texts are flagged ``truncated``."""
    cache_entries: int = Field(20_000, ge=0)
    """Embeddings kept in memory by text hash (about 1.5 KB each); 0 turns the cache off."""


class NotifySettings(BaseSettings):
    """Delivery settings, the ``notify`` section of ``Settings`` (``MOMENTOS_NOTIFY__SMTP_HOST``…). The older
    single-underscore names (``MOMENTOS_NOTIFY_SMTP_HOST``) are still read; the nested ones win."""

    model_config = SettingsConfigDict(env_prefix="MOMENTOS_NOTIFY_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Momentos <no-reply@momentos.invalid>"
    message_id_domain: str = "momentos.invalid"
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    sms_channels: list[Literal["sms", "whatsapp"]] = ["sms", "whatsapp"]
    """The channels the provider at ``sms_url`` delivers on (e.g. ``["sms"]`` for a provider without WhatsApp)."""
    webhook_allow: list[str] = []
    """Hosts, IPs or networks (CIDR) exempt from the SSRF checks, e.g. ``["127.0.0.1/32"]`` for tests and
    on-premise receivers. Empty: only public addresses are allowed."""
    local_mailbox: bool = False
    """Deliver every message (e-mail, SMS, WhatsApp, webhooks, staff alerts) into the local mailbox (a table read on
    ``/ops/mailbox``) instead of the real providers: the demo's channel. Off unless chosen; production leaves it
    off."""
    public_url: str = ""
    """Prefix of status-page links stored as paths (``/s/<token>``); empty: the app's ``public_url``."""
    timeout_seconds: float = 10.0
    lease_seconds: float = 30.0
    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    batch_size: int = 50
    poll_seconds: float = 0.5
    """How long the worker sleeps after a round with nothing to do."""
    heartbeat_seconds: float = 5.0
    """How often a worker writes its heartbeat row (at most once per round of its loop)."""
    template_max_output: int = Field(default=100_000, ge=1)
    """The budget of organizations' templates (previews, saving, delivery): characters one rendering produces."""
    template_max_iterations: int = Field(default=10_000, ge=1)
    """Loop iterations of one rendering, counted together across nesting."""
    template_max_size: int = Field(default=100_000, ge=1)
    """Characters inside one string or list a template builds (operators, filters, method calls)."""
    template_max_items: int = Field(default=10_000, ge=1)
    """Elements of one list a template builds (``range``, ``list``, ``split``…)."""
    template_seconds: float = Field(default=1.0, gt=0)
    """Wall-clock time of one rendering."""

    @property
    def channels(self) -> frozenset[str]:
        """The channels these settings can deliver on: e-mail with an SMTP host (an empty ``smtp_host`` turns
        e-mail off), SMS / WhatsApp with a provider (``sms_url``) serving them. Webhooks depend on the
        organization (an enabled endpoint), not on the settings. The local mailbox takes every channel."""
        if self.local_mailbox:
            return frozenset(LOCAL_CHANNELS)
        found = {"email"} if self.smtp_host else set()
        if self.sms_url:
            found.update(self.sms_channels)
        return frozenset(found)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOMENTOS_", env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "data")
    database_url: str | None = None
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    default_language: Literal["es", "en"] = "es"
    sql_echo: bool = False
    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Reverse proxies (IPs or CIDR networks) whose ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed
    (``MOMENTOS_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16`` or a JSON list). Empty: forwarded headers are ignored and
    the client is the connection's peer."""
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        """A comma-separated string or a JSON list; every entry must be an IP address or network."""
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        if not isinstance(value, list):
            return value
        entries = []
        for entry in (str(v).strip() for v in value if str(v).strip()):
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {entry!r} is not an IP address or network") from exc
            entries.append(str(network) if "/" in entry else entry)
        return entries

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("MOMENTOS_SECRET_KEY must be set in production")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'momentos.db').resolve()}"
