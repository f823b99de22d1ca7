"""Thin routes: the layered rules and "why was / wasn't this customer contacted"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from momentos.auth.deps import Admin, DbSession
from momentos.catalog import service as catalog
from momentos.customers import service as customers
from momentos.kit import i18n
from momentos.kit.clock import utcnow
from momentos.kit.schema import one_of
from momentos.policy import service as policy
from momentos.policy.messages import explain
from momentos.policy.schemas import DecisionRead, ReasonRead, RuleSet

router = APIRouter(prefix="/api/v1", tags=["policy"])


@router.put("/contact-rules/organization")
def put_org_rules(data: RuleSet, p: Admin, session: DbSession) -> RuleSet:
    policy.set_rules(session, p.org_id, "org", data, utcnow(), actor=p.actor)
    return data


@router.put("/contact-rules/services/{service_key}")
def put_service_rules(service_key: str, data: RuleSet, p: Admin, session: DbSession,
                      moment: str | None = None) -> RuleSet:
    service = catalog.get_service(session, p.org_id, service_key)
    scope = f"moment:{service.id}:{moment}" if moment else f"service:{service.id}"
    policy.set_rules(session, p.org_id, scope, data, utcnow(), actor=p.actor)
    return data


@router.put("/contact-rules/customers/{external_id}")
def put_customer_rules(external_id: str, data: RuleSet, p: Admin, session: DbSession) -> RuleSet:
    customer = customers.get_customer(session, p.org_id, external_id)
    policy.set_rules(session, p.org_id, f"customer:{customer.id}", data, utcnow(), actor=p.actor)
    return data


@router.get("/customers/{external_id}/contact-decisions")
def contact_decisions(external_id: str, p: Admin, session: DbSession, request: Request,
                      limit: int = Query(100, ge=1, le=1000),
                      lang: Annotated[str | None, one_of(i18n.LANGUAGES)] = None) -> list[DecisionRead]:
    """Why was (or wasn't) this customer contacted: every decision, newest first, with its reasons."""
    customer = customers.get_customer(session, p.org_id, external_id)
    language = i18n.negotiate(query=lang, cookie=None, accept_language=request.headers.get("accept-language"),
                              default=customer.language or "en")
    return [DecisionRead(id=d.id, customer=external_id, notification_id=d.notification_id, stage=d.stage,
                         purpose=d.purpose, priority=d.priority, outcome=d.outcome, channel=d.channel,
                         defer_until=d.defer_until, decided_at=d.decided_at,
                         reasons=[ReasonRead(code=r["code"], params=r.get("params", {}),
                                             message=explain(r["code"], r.get("params", {}), language))
                                  for r in d.reasons])
            for d in policy.decisions_of(session, p.org_id, customer.id, limit)]
