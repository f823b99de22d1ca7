"""Load the demo organization once; every run issues fresh keys so the person running it can sign in.

Everything goes through the same services as real data: the catalog for services and touchpoints, and the one
ingestion path (``events.service.ingest``) for profiles and events. Never commits (the CLI owns the transaction).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.config import Settings
from momentos.customers.schemas import IdentifyIn
from momentos.demo.journeys import simulate
from momentos.demo.people import make_people
from momentos.demo.scenario import SERVICES, ServiceDef
from momentos.errors import NotFound
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import count_events, ingest
from momentos.kit.clock import utcnow
from momentos.models import Customer, Organization, Process
from momentos.orgs.schemas import OrganizationCreate
from momentos.orgs.service import create_organization, get_organization, issue_key

DEMO_SLUG = "demo"
SEED = 20_240_611
BATCH_SIZE = 500


def load_demo(session: Session, customers: int = 300, *, seed: int = SEED, now: datetime | None = None,
              public_url: str | None = None) -> dict[str, Any]:
    """Create and fill the ``demo`` organization unless it exists; always return new admin and write keys."""
    try:
        org = get_organization(session, DEMO_SLUG)
    except NotFound:
        org = _create(session, customers, seed, now or utcnow())
    admin_key = issue_key(session, org.id, "admin", name="momentos demo")
    write_key = issue_key(session, org.id, "write", name="momentos demo")
    base = (public_url or Settings().public_url).rstrip("/")
    return {
        "organization": org.slug,
        "name": org.name,
        "admin_key": admin_key,
        "write_key": write_key,
        "services": [{"key": s.key, "name_es": s.name_es, "name_en": s.name_en, "contact_level": s.contact_level}
                     for s in catalog.list_services(session, org.id)],
        "customers": _count(session, Customer, org.id),
        "processes": _count(session, Process, org.id),
        "events": count_events(session, org.id),
        "url": f"{base}/?lang={org.default_language}",
    }


def _count(session: Session, model: type[Customer] | type[Process], org_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)


def _create(session: Session, customers: int, seed: int, anchor: datetime) -> Organization:
    org, _ = create_organization(session, OrganizationCreate(slug=DEMO_SLUG, name="Momentos Demo",
                                                             default_language="es", timezone="Europe/Madrid"))
    for service in SERVICES:
        _create_service(session, org.id, service)
    rng = random.Random(seed)
    sim = simulate(rng, make_people(rng, customers), SERVICES, anchor)
    _ingest_in_batches(session, org.id, sim.identifies, sim.events)
    return org


def _create_service(session: Session, org_id: int, s: ServiceDef) -> None:
    catalog.create_service(session, org_id, ServiceCreate(
        key=s.key, name_es=s.name_es, name_en=s.name_en, description_es=s.description_es,
        description_en=s.description_en, assessment=s.assessment))
    for tp in s.touchpoints:
        catalog.create_touchpoint(session, org_id, s.key, TouchpointCreate(
            moment=tp.moment, channel=tp.channel, activities=list(tp.activities), initiator=tp.initiator,
            intensity=tp.intensity, name_es=tp.name_es, name_en=tp.name_en))


def _ingest_in_batches(session: Session, org_id: int, identifies: list[IdentifyIn], events: list[EventIn]) -> None:
    for start in range(0, len(identifies), BATCH_SIZE):
        ingest(session, org_id, Batch(identifies=identifies[start:start + BATCH_SIZE]), source="demo")
    for start in range(0, len(events), BATCH_SIZE):
        ingest(session, org_id, Batch(events=events[start:start + BATCH_SIZE]), source="demo")
