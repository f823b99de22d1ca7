from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentos.db import Base, BigIntPK, JSONType, UTCDateTime


class JourneyModel(Base):
    """An organization's own journey model; the built-in presets live in code (catalog/presets.py)."""

    __tablename__ = "journey_models"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name_es: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    moments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """Ordered list of {key, name_es, name_en, maps_to: [keys of the 8 contact moments]}."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Service(Base):
    """Something the company offers, with its Lovelock contact-level assessment."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name_es: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    journey_model_key: Mapped[str] = mapped_column(String(64), default="contact-moments-8")
    assessment: Mapped[dict[str, Any]] = mapped_column(JSONType)
    assessed_level: Mapped[str] = mapped_column(String(8))
    level_override: Mapped[str | None] = mapped_column(String(8), default=None)
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    contact_details: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=None)
    """How customers reach the company for this service, per channel (``{"phone": "+34 900 000 000",
    "email": "ayuda@…", "web": "https://…"}``): shown on the status page."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def contact_level(self) -> str:
        return self.level_override or self.assessed_level


class Touchpoint(Base):
    """Where contact happens: (moment, channel, activities), who starts it, and how much contact."""

    __tablename__ = "touchpoints"
    __table_args__ = (Index("ix_touchpoints_service", "service_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    moment: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    activities: Mapped[list[str]] = mapped_column(JSONType)
    initiator: Mapped[str] = mapped_column(String(16))
    intensity: Mapped[str | None] = mapped_column(String(16), default=None)
    """None means: the default for the service's contact level at this moment."""
    contact_needed: Mapped[bool] = mapped_column(Boolean, default=True)
    name_es: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
