"""Thin routes: customers, their profile, consents and erasure."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from momentos.auth.deps import Admin, DbSession
from momentos.customers import consent
from momentos.customers import service as customers
from momentos.customers.schemas import (
    ConsentEventRead,
    ConsentMappingIn,
    ConsentMappingRead,
    ConsentRead,
    CustomerRead,
    CustomerUpdate,
)
from momentos.models import Customer

router = APIRouter(prefix="/api/v1", tags=["customers"])


def customer_read(session: Session, c: Customer, *, with_consents: bool = False,
                  span: tuple[datetime, datetime] | None = None) -> CustomerRead:
    if span is None:
        span = customers.activity_span(session, [c.id]).get(c.id)
    consents = [ConsentRead(channel=x.channel, purpose=x.purpose, granted=x.granted, updated_at=x.updated_at,
                            source=x.source, occurred_at=x.occurred_at)
                for x in customers.consents_of(session, c.id)] if with_consents else []
    return CustomerRead(external_id=c.external_id, name=c.name, email=c.email, phone=c.phone, language=c.language,
                        timezone=c.timezone, preferred_channels=c.preferred_channels,
                        do_not_contact=c.do_not_contact, traits=c.traits, account_id=c.account_id,
                        first_seen_at=span[0] if span else c.first_seen_at,
                        last_seen_at=span[1] if span else None, consents=consents)


@router.get("/customers")
def list_customers(p: Admin, session: DbSession, limit: int = Query(50, ge=1, le=500),
                   after: str | None = None, q: str | None = Query(None, max_length=100)) -> list[CustomerRead]:
    rows = customers.list_customers(session, p.org_id, limit=limit, after=after, search=q)
    spans = customers.activity_span(session, [c.id for c in rows])
    return [customer_read(session, c, span=spans.get(c.id)) for c in rows]


@router.get("/customers/{external_id}")
def get_customer(external_id: str, p: Admin, session: DbSession) -> CustomerRead:
    return customer_read(session, customers.get_customer(session, p.org_id, external_id), with_consents=True)


@router.patch("/customers/{external_id}")
def update_customer(external_id: str, data: CustomerUpdate, p: Admin, session: DbSession) -> CustomerRead:
    c = customers.update_customer(session, p.org_id, external_id, data)
    return customer_read(session, c, with_consents=True)


@router.get("/customers/{external_id}/consent-history")
def consent_history(external_id: str, p: Admin, session: DbSession) -> list[ConsentEventRead]:
    """Every consent and do-not-contact statement of the customer (evidence), newest first."""
    c = customers.get_customer(session, p.org_id, external_id)
    return [ConsentEventRead(channel=e.channel, purpose=e.purpose, granted=e.granted, source=e.source,
                             message_id=e.message_id, occurred_at=e.occurred_at, recorded_at=e.recorded_at)
            for e in customers.consent_history(session, c.id)]


@router.get("/consent-mapping")
def get_consent_mapping(p: Admin, session: DbSession) -> ConsentMappingRead:
    """How consent categories (Segment's ``categoryPreferences``) become purposes for this organization."""
    return _mapping_read(session, p.org_id)


@router.put("/consent-mapping")
def put_consent_mapping(data: ConsentMappingIn, p: Admin, session: DbSession) -> ConsentMappingRead:
    """Replace the organization's own category entries (the defaults stay underneath)."""
    consent.set_mapping(session, p.org_id, data.categories, actor=p.actor)
    return _mapping_read(session, p.org_id)


def _mapping_read(session: Session, org_id: int) -> ConsentMappingRead:
    return ConsentMappingRead(categories={k: list(v) for k, v in consent.mapping_of(session, org_id).items()},
                              custom=consent.custom_mapping(session, org_id))
