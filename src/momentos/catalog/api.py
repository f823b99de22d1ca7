"""Thin routes: services, journey models, touchpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response

from momentos.auth.deps import Admin, DbSession
from momentos.catalog import service as catalog
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.presets import JourneyModelDef
from momentos.catalog.schemas import (
    JourneyModelCreate,
    JourneyModelRead,
    LevelExplanation,
    MomentRead,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
    TouchpointCreate,
    TouchpointRead,
)
from momentos.kit.params import BigInt
from momentos.models import Service, Touchpoint

router = APIRouter(prefix="/api/v1", tags=["catalog"])


def model_read(m: JourneyModelDef) -> JourneyModelRead:
    return JourneyModelRead(key=m.key, name_es=m.name_es, name_en=m.name_en, builtin=m.builtin,
                            moments=[MomentRead(key=x.key, name_es=x.name_es, name_en=x.name_en, position=i,
                                                maps_to=list(x.maps_to)) for i, x in enumerate(m.moments)])


def service_read(s: Service) -> ServiceRead:
    result = catalog.explain_level(s)
    level = LevelExplanation(
        assessed_level=result.level, score=result.score,
        reasons=[{"reason": r.msgid, "effect": r.effect} for r in result.reasons],
        override=s.level_override, override_reason=s.override_reason, effective_level=s.contact_level)
    return ServiceRead(key=s.key, name_es=s.name_es, name_en=s.name_en, description_es=s.description_es,
                       description_en=s.description_en, journey_model=s.journey_model_key,
                       contact_level=s.contact_level, level=level,
                       assessment=Assessment.model_validate(s.assessment),
                       contact_details=dict(s.contact_details or {}), created_at=s.created_at)


def touchpoint_read(s: Service, m: JourneyModelDef, tp: Touchpoint) -> TouchpointRead:
    eff = catalog.touchpoint_intensity(s, m, tp)
    return TouchpointRead(id=tp.id, moment=tp.moment, channel=tp.channel, activities=tp.activities,
                          initiator=tp.initiator, intensity=eff.intensity, intensity_is_default=eff.is_default,
                          contact_needed=tp.contact_needed, contact_budget=eff.budget, name_es=tp.name_es,
                          name_en=tp.name_en)


@router.get("/journey-models")
def list_journey_models(p: Admin, session: DbSession) -> list[JourneyModelRead]:
    return [model_read(m) for m in catalog.list_journey_models(session, p.org_id)]


@router.get("/journey-models/{key}")
def get_journey_model(key: str, p: Admin, session: DbSession) -> JourneyModelRead:
    return model_read(catalog.get_journey_model(session, p.org_id, key))


@router.post("/journey-models", status_code=201)
def create_journey_model(data: JourneyModelCreate, p: Admin, session: DbSession) -> JourneyModelRead:
    return model_read(catalog.create_journey_model(session, p.org_id, data, actor=p.actor))


@router.get("/services")
def list_services(p: Admin, session: DbSession) -> list[ServiceRead]:
    return [service_read(s) for s in catalog.list_services(session, p.org_id)]


@router.post("/services", status_code=201)
def create_service(data: ServiceCreate, p: Admin, session: DbSession) -> ServiceRead:
    return service_read(catalog.create_service(session, p.org_id, data, actor=p.actor))


@router.get("/services/{key}")
def get_service(key: str, p: Admin, session: DbSession) -> ServiceRead:
    return service_read(catalog.get_service(session, p.org_id, key))


@router.patch("/services/{key}")
def update_service(key: str, data: ServiceUpdate, p: Admin, session: DbSession) -> ServiceRead:
    return service_read(catalog.update_service(session, p.org_id, key, data, actor=p.actor))


@router.get("/services/{key}/touchpoints")
def list_touchpoints(key: str, p: Admin, session: DbSession) -> list[TouchpointRead]:
    s = catalog.get_service(session, p.org_id, key)
    m = catalog.get_journey_model(session, p.org_id, s.journey_model_key)
    return [touchpoint_read(s, m, tp) for tp in catalog.list_touchpoints(session, p.org_id, s.id)]


@router.post("/services/{key}/touchpoints", status_code=201)
def create_touchpoint(key: str, data: TouchpointCreate, p: Admin, session: DbSession) -> TouchpointRead:
    tp = catalog.create_touchpoint(session, p.org_id, key, data, actor=p.actor)
    s = catalog.get_service(session, p.org_id, key)
    return touchpoint_read(s, catalog.get_journey_model(session, p.org_id, s.journey_model_key), tp)


@router.put("/services/{key}/touchpoints/{touchpoint_id}")
def update_touchpoint(key: str, touchpoint_id: BigInt, data: TouchpointCreate, p: Admin,
                      session: DbSession) -> TouchpointRead:
    """Replace a touchpoint (same checks as adding one)."""
    tp = catalog.update_touchpoint(session, p.org_id, key, touchpoint_id, data, actor=p.actor)
    s = catalog.get_service(session, p.org_id, key)
    return touchpoint_read(s, catalog.get_journey_model(session, p.org_id, s.journey_model_key), tp)


@router.delete("/services/{key}/touchpoints/{touchpoint_id}", status_code=204)
def delete_touchpoint(key: str, touchpoint_id: BigInt, p: Admin, session: DbSession) -> Response:
    """Remove a touchpoint; refused (409 ``touchpoint_has_survey``) while a survey is sent at it."""
    catalog.delete_touchpoint(session, p.org_id, key, touchpoint_id, actor=p.actor)
    return Response(status_code=204)
