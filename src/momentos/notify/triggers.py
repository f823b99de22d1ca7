"""The parameters of a status notice, filled in by the worker at send time.

What queues a status notice — a stored event entering a moment that needs one — is notify's reaction to stored
events, :mod:`momentos.notify.reactions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.models import Customer, Organization, Service
from momentos.notify import status_tokens


def status_params(session: Session, org_id: int, service_id: int, customer_id: int, process_id: int,
                  moment: str | None, now: datetime, public_url: str, *, token: str | None = None) -> dict[str, object]:
    """Template parameters of a status notice, in both languages (the worker picks the customer's). The
    process's status token is created unless one is given."""
    held: dict[tuple[type, int], Any] = session.info.get("notify.rows", {})  # per worker batch (strong refs)
    service = held.get((Service, service_id)) or session.get_one(Service, service_id)
    held[(Service, service_id)] = service
    models: dict[tuple[int, str], JourneyModelDef] = session.info.get("notify.models", {})  # per worker batch
    model = models.get((org_id, service.journey_model_key)) or catalog.get_journey_model(
        session, org_id, service.journey_model_key)
    models[(org_id, service.journey_model_key)] = model
    customer = session.get_one(Customer, customer_id)
    org = held.get((Organization, org_id)) or session.get_one(Organization, org_id)
    held[(Organization, org_id)] = org
    token = token or status_tokens.ensure_token(session, org_id, process_id, now)
    nxt = model.next_key(moment) if moment and model.has(moment) else None
    return {"org_name": org.name, "customer_name": customer.name or "", "status_url": f"{public_url}/s/{token}",
            "service_name": {"es": service.name_es, "en": service.name_en},
            "moment_name": {lang: model.moment(moment).name(lang) if moment and model.has(moment) else (moment or "")
                            for lang in ("es", "en")},
            "next_name": {lang: model.moment(nxt).name(lang) if nxt else "" for lang in ("es", "en")}}
