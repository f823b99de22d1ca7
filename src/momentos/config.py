"""Typed settings read from the environment (prefix ``MOMENTOS_``), nested with ``__``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    ingest: IngestSettings = Field(default_factory=IngestSettings)

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
