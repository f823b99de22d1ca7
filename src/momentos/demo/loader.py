"""Load the demo organization once; every run issues fresh keys so the person running it can sign in.

Everything goes through the same services as real data: the catalog for services and touchpoints, promise
definitions (created before the events, so ingestion opens their instances), the one ingestion path
(``events.service.ingest``, with the reactions the caller passes) for profiles and events, and the listening
services for comments, a survey and its answers, analysed before the load returns. Never commits (the CLI owns the
transaction).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.catalog import service as catalog
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.config import Settings
from momentos.customers.schemas import IdentifyIn
from momentos.demo.journeys import simulate
from momentos.demo.live import live_batch, run_tag
from momentos.demo.people import make_people
from momentos.demo.promises import COMMENTS, PROMISES, SURVEY, SURVEY_ANSWERS
from momentos.demo.scenario import SERVICES, ServiceDef
from momentos.errors import NotFound
from momentos.events.reactions import Reaction
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import count_events, ingest
from momentos.kit.clock import utcnow
from momentos.listening import tasks
from momentos.listening.analysis import job as analysis_job
from momentos.listening.feedback import service as feedback
from momentos.listening.feedback.schemas import FeedbackIn
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate, SurveyResponseIn
from momentos.models import Customer, Organization, Process
from momentos.orgs.schemas import OrganizationCreate
from momentos.orgs.service import authenticate, create_organization, get_organization, issue_key
from momentos.promises import definitions
from momentos.promises.schemas import PromiseCreate
from momentos.segments import service as segments
from momentos.segments.schemas import SegmentCreate

DEMO_SLUG = "demo"
SEED = 20_240_611
BATCH_SIZE = 500
SEGMENTS: tuple[dict[str, Any], ...] = (
    {"key": "premium", "name_es": "Clientes premium", "name_en": "Premium customers",
     "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]},
    {"key": "spain", "name_es": "Clientes en España", "name_en": "Customers in Spain",
     "rule": [{"field": "traits.country", "op": "eq", "value": "ES"}]},
)


def load_demo(session: Session, customers: int = 300, *, reactions: Sequence[Reaction], seed: int = SEED,
              now: datetime | None = None, public_url: str | None = None,
              keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Create and fill the ``demo`` organization unless it exists; return its admin and write keys.
    ``reactions``: what reacts to the stored events (``momentos.bootstrap.reactions()``). ``keep``: the keys a
    previous run printed (``admin_key``, ``write_key``); they are returned again while they still work for the demo
    organization, otherwise new ones are issued. ``credentials`` in the answer says which (``kept`` or ``new``)."""
    try:
        org = get_organization(session, DEMO_SLUG)
    except NotFound:
        org = _create(session, customers, seed, now or utcnow(), reactions)
    else:
        _move_again(session, org.id, now or utcnow(), reactions)
    admin_key, write_key = _still_working(session, org.id, keep or {})
    kept = bool(admin_key and write_key)
    admin_key = admin_key or issue_key(session, org.id, "admin", name="momentos demo")
    write_key = write_key or issue_key(session, org.id, "write", name="momentos demo")
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
        "credentials": "kept" if kept else "new",
    }


def _still_working(session: Session, org_id: int, keep: Mapping[str, Any]) -> tuple[str | None, str | None]:
    found: dict[str, str | None] = {"admin": None, "write": None}
    for kind in found:
        key = keep.get(f"{kind}_key")
        principal = authenticate(session, key) if isinstance(key, str) and key else None
        if principal is not None and principal.org_id == org_id and principal.kind == kind:
            found[kind] = key
    return found["admin"], found["write"]


def _move_again(session: Session, org_id: int, now: datetime, reactions: Sequence[Reaction]) -> None:
    """A later start of the demo: today's live events again, as new processes (``run_tag``), so that the worker
    has notices, a recovery message and survey invitations to deliver this time too."""
    ingest(session, org_id, live_batch(now, tag=run_tag(now)), source="demo", reactions=reactions, received_at=now)


DEMO_ACTOR = Actor.system("demo")
"""Who configured the demo organization in its audit log."""


def _count(session: Session, model: type[Customer] | type[Process], org_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)


def _create(session: Session, customers: int, seed: int, anchor: datetime,
            reactions: Sequence[Reaction]) -> Organization:
    org, _ = create_organization(session, OrganizationCreate(slug=DEMO_SLUG, name="Momentos Demo",
                                                             default_language="es", timezone="Europe/Madrid"))
    for service in SERVICES:
        _create_service(session, org.id, service)
    for promise in PROMISES:
        definitions.create(session, org.id, PromiseCreate.model_validate(promise), actor=DEMO_ACTOR)
    rng = random.Random(seed)
    sim = simulate(rng, make_people(rng, customers), SERVICES, anchor)
    _ingest_in_batches(session, org.id, sim.identifies, sim.events, anchor, reactions)
    _listen(session, org.id, sim.events, random.Random(seed + 1), anchor)
    for segment in SEGMENTS:
        segments.create_segment(session, org.id, SegmentCreate.model_validate(segment), anchor, actor=DEMO_ACTOR)
    ingest(session, org.id, live_batch(anchor), source="demo", reactions=reactions,
           received_at=anchor)
    return org


def _reached(events: list[EventIn]) -> dict[tuple[str, str], list[EventIn]]:
    """(service, moment) → the first event of each customer in that moment (by the touchpoints' activities)."""
    moment_of = {(s.key, a): tp.moment for s in SERVICES for tp in s.touchpoints for a in tp.activities}
    found: dict[tuple[str, str], dict[str, EventIn]] = {}
    for e in events:
        moment = moment_of.get((e.service or "", e.activity))
        if moment is not None:
            found.setdefault((e.service or "", moment), {}).setdefault(e.customer or "", e)
    return {k: list(v.values()) for k, v in found.items()}


def _after(e: EventIn, rng: random.Random, anchor: datetime) -> datetime:
    return min(anchor, e.timestamp + timedelta(hours=rng.uniform(0.5, 30)))


def _listen(session: Session, org_id: int, events: list[EventIn], rng: random.Random, anchor: datetime) -> None:
    """Comments tied to customers and moments, a survey with answers, then the analysis (language, sentiment,
    needs) run here, synchronously, so the demo shows it at once."""
    reached = _reached(events)
    items = []
    for (service, moment), texts in COMMENTS.items():
        who = reached.get((service, moment), [])
        for i, text in enumerate(texts):
            if who:
                e = rng.choice(who)
                items.append(FeedbackIn(source="demo", external_id=f"demo-{service}-{moment}-{i}", text=text,
                                        customer=e.customer, service=service, moment=moment,
                                        occurred_at=_after(e, rng, anchor)))
    feedback.add_feedback(session, org_id, items, anchor)
    survey = surveys.create_survey(session, org_id, SurveyCreate.model_validate(SURVEY), anchor, actor=DEMO_ACTOR)
    who = reached.get((SURVEY["service"], SURVEY["moment"]), [])
    for i, (csat, nps, answer) in enumerate(SURVEY_ANSWERS[:len(who)]):
        e = who[i]
        surveys.record_response(session, org_id, survey, SurveyResponseIn(
            customer=e.customer, csat=csat, nps=nps, text=answer, external_id=f"demo-{i}",
            occurred_at=_after(e, rng, anchor)), anchor)
    analysis_job.analyse_org(session, org_id, anchor)
    tasks.watch(session, org_id, anchor)


def _create_service(session: Session, org_id: int, s: ServiceDef) -> None:
    catalog.create_service(session, org_id, ServiceCreate(
        key=s.key, name_es=s.name_es, name_en=s.name_en, description_es=s.description_es,
        description_en=s.description_en, assessment=s.assessment), actor=DEMO_ACTOR)
    for tp in s.touchpoints:
        catalog.create_touchpoint(session, org_id, s.key, TouchpointCreate(
            moment=tp.moment, channel=tp.channel, activities=list(tp.activities), initiator=tp.initiator,
            intensity=tp.intensity, name_es=tp.name_es, name_en=tp.name_en), actor=DEMO_ACTOR)


def _ingest_in_batches(session: Session, org_id: int, identifies: list[IdentifyIn], events: list[EventIn],
                       anchor: datetime, reactions: Sequence[Reaction]) -> None:
    for start in range(0, len(identifies), BATCH_SIZE):
        ingest(session, org_id, Batch(identifies=identifies[start:start + BATCH_SIZE]), source="demo",
               reactions=reactions, received_at=anchor)
    for start in range(0, len(events), BATCH_SIZE):
        ingest(session, org_id, Batch(events=events[start:start + BATCH_SIZE]), source="demo", reactions=reactions,
               received_at=anchor)
