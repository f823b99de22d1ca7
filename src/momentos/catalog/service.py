"""Business rules for services, contact levels, journey models and touchpoints. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.catalog import contact_levels as cl
from momentos.catalog.presets import BUILTIN_MODELS, CANONICAL_KEYS, JourneyModelDef, Moment
from momentos.catalog.schemas import (
    JourneyModelCreate,
    ServiceCreate,
    ServiceUpdate,
    TouchpointCreate,
)
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.models import JourneyModel, Organization, Service, Survey, Touchpoint


def catalog_changed(session: Session, org_id: int) -> None:
    """Give the organization a new catalog version, so its cached catalog snapshot (:mod:`.snapshot`), and what the
    reactions to stored events derive from it, are rebuilt."""
    session.execute(update(Organization).where(Organization.id == org_id).values(catalog_version=uuid4().hex))


def _model_from_row(row: JourneyModel) -> JourneyModelDef:
    moments = tuple(Moment(m["key"], m["name_es"], m["name_en"], tuple(m.get("maps_to", ()))) for m in row.moments)
    return JourneyModelDef(row.key, row.name_es, row.name_en, moments, builtin=False)


def list_journey_models(session: Session, org_id: int) -> list[JourneyModelDef]:
    rows = session.scalars(select(JourneyModel).where(JourneyModel.org_id == org_id).order_by(JourneyModel.key))
    return [*BUILTIN_MODELS.values(), *(_model_from_row(r) for r in rows)]


def get_journey_model(session: Session, org_id: int, key: str) -> JourneyModelDef:
    if key in BUILTIN_MODELS:
        return BUILTIN_MODELS[key]
    row = session.scalar(select(JourneyModel).where(JourneyModel.org_id == org_id, JourneyModel.key == key))
    if row is None:
        raise NotFound(f"Journey model '{key}' not found.", code="journey_model_not_found", detail={"key": key})
    return _model_from_row(row)


def create_journey_model(session: Session, org_id: int, data: JourneyModelCreate, *,
                         actor: Actor) -> JourneyModelDef:
    if data.key in BUILTIN_MODELS:
        raise Conflict("That key belongs to a built-in model.", detail={"key": data.key})
    keys = [m.key for m in data.moments]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("Moment keys must be unique.", detail={"keys": keys})
    for m in data.moments:
        unknown = [k for k in m.maps_to if k not in CANONICAL_KEYS]
        if unknown:
            raise ValidationFailed("maps_to must name the 8 contact moments.",
                                   code="unknown_moment", detail={"moment": m.key, "unknown": unknown})
    exists = session.scalar(select(JourneyModel.id).where(JourneyModel.org_id == org_id,
                                                          JourneyModel.key == data.key))
    if exists:
        raise Conflict("A journey model with that key exists.", detail={"key": data.key})
    row = JourneyModel(org_id=org_id, key=data.key, name_es=data.name_es, name_en=data.name_en,
                       moments=[m.model_dump() for m in data.moments], created_at=utcnow())
    session.add(row)
    session.flush()
    catalog_changed(session, org_id)
    record(session, org_id, actor, "journey_model.create", f"journey_model:{data.key}",
           after={"name_es": data.name_es, "name_en": data.name_en, "moments": keys})
    return _model_from_row(row)


def service_summary(service: Service) -> dict[str, Any]:
    """What the audit log shows of a service: its names, model, assessment and contact level."""
    return {"name_es": service.name_es, "name_en": service.name_en, "description_es": service.description_es,
            "description_en": service.description_en, "journey_model": service.journey_model_key,
            "assessment": dict(service.assessment), "assessed_level": service.assessed_level,
            "level_override": service.level_override, "override_reason": service.override_reason,
            "contact_level": service.contact_level, "contact_details": dict(service.contact_details or {})}


def checked_contact_details(details: Mapping[str, str]) -> dict[str, str]:
    """The non-empty details, with web addresses limited to http(s) and e-mail addresses with an @ (so the status
    page only ever links to what it should)."""
    kept = {channel: value for channel, value in details.items() if value}
    for channel in ("web", "app", "chat", "social"):
        value = kept.get(channel)
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValidationFailed("A web address must start with https:// or http://.", code="invalid_contact_detail",
                                   detail={"channel": channel})
    email = kept.get("email")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise ValidationFailed("That is not an e-mail address.", code="invalid_contact_detail",
                               detail={"channel": "email"})
    return kept


def create_service(session: Session, org_id: int, data: ServiceCreate, *, actor: Actor) -> Service:
    get_journey_model(session, org_id, data.journey_model)
    if session.scalar(select(Service.id).where(Service.org_id == org_id, Service.key == data.key)):
        raise Conflict("A service with that key exists.", code="service_exists", detail={"key": data.key})
    if data.level_override and not data.override_reason:
        raise ValidationFailed("An override needs a reason.", code="override_reason_required")
    now = utcnow()
    result = cl.assess(data.assessment)
    service = Service(
        org_id=org_id, key=data.key, name_es=data.name_es, name_en=data.name_en,
        description_es=data.description_es, description_en=data.description_en,
        journey_model_key=data.journey_model, assessment=data.assessment.model_dump(),
        assessed_level=result.level, level_override=data.level_override,
        override_reason=data.override_reason, created_at=now, updated_at=now,
    )
    session.add(service)
    session.flush()
    catalog_changed(session, org_id)
    record(session, org_id, actor, "service.create", f"service:{data.key}", after=service_summary(service))
    return service


def update_service(session: Session, org_id: int, key: str, data: ServiceUpdate, *, actor: Actor) -> Service:
    """Change names, descriptions, the assessment or the contact level override (recorded with what changed)."""
    service = get_service(session, org_id, key)
    before = service_summary(service)
    for name in ("name_es", "name_en", "description_es", "description_en"):
        value = getattr(data, name)
        if value is not None:
            setattr(service, name, value)
    if data.assessment is not None:
        service.assessment = data.assessment.model_dump()
        service.assessed_level = cl.assess(data.assessment).level
    if data.clear_override:
        service.level_override, service.override_reason = None, None
    elif data.level_override is not None:
        if not data.override_reason:
            raise ValidationFailed("An override needs a reason.", code="override_reason_required")
        service.level_override, service.override_reason = data.level_override, data.override_reason
    if data.contact_details is not None:
        service.contact_details = checked_contact_details({str(k): v for k, v in data.contact_details.items()})
    if data.journey_model is not None and data.journey_model != service.journey_model_key:
        _check_model_fits(session, org_id, service, data.journey_model)
        service.journey_model_key = data.journey_model
    service.updated_at = utcnow()
    session.flush()
    catalog_changed(session, org_id)
    record_change(session, org_id, actor, "service.update", f"service:{key}", before=before,
                  after=service_summary(service))
    return service


def _check_model_fits(session: Session, org_id: int, service: Service, model_key: str) -> None:
    """Refuse a journey model that lacks a moment one of the service's touchpoints leads to."""
    model = get_journey_model(session, org_id, model_key)
    stray = sorted({tp.moment for tp in list_touchpoints(session, org_id, service.id) if not model.has(tp.moment)})
    if stray:
        raise ValidationFailed("Some touchpoints lead to moments that model does not have.",
                               code="touchpoints_outside_model", detail={"model": model_key, "moments": stray})


def get_service(session: Session, org_id: int, key: str) -> Service:
    service = session.scalar(select(Service).where(Service.org_id == org_id, Service.key == key))
    if service is None:
        raise NotFound(f"Service '{key}' not found.", code="service_not_found", detail={"key": key})
    return service


def list_services(session: Session, org_id: int) -> Sequence[Service]:
    return session.scalars(select(Service).where(Service.org_id == org_id).order_by(Service.id)).all()


def explain_level(service: Service) -> cl.LevelResult:
    return cl.assess(cl.Assessment.model_validate(service.assessment))


def _check_touchpoint(session: Session, org_id: int, service: Service, data: TouchpointCreate,
                      touchpoint_id: int | None = None) -> None:
    """The moment belongs to the service's model, and no activity already leads to another moment."""
    model = get_journey_model(session, org_id, service.journey_model_key)
    if not model.has(data.moment):
        raise ValidationFailed(f"Unknown moment '{data.moment}' for model '{model.key}'.", code="unknown_moment",
                               detail={"moment": data.moment, "model": model.key, "moments": model.keys})
    existing = {a: tp.moment for tp in list_touchpoints(session, org_id, service.id) if tp.id != touchpoint_id
                for a in tp.activities}
    clashes = {a: existing[a] for a in data.activities if a in existing and existing[a] != data.moment}
    if clashes:
        raise Conflict("An activity can lead to only one moment within a service.", code="activity_clash",
                       detail={"activities": clashes})


def _touchpoint_summary(tp: Touchpoint) -> dict[str, Any]:
    return {"moment": tp.moment, "channel": tp.channel, "activities": list(tp.activities), "initiator": tp.initiator,
            "intensity": tp.intensity, "contact_needed": tp.contact_needed, "name_es": tp.name_es,
            "name_en": tp.name_en}


def create_touchpoint(session: Session, org_id: int, service_key: str, data: TouchpointCreate, *,
                      actor: Actor) -> Touchpoint:
    service = get_service(session, org_id, service_key)
    _check_touchpoint(session, org_id, service, data)
    tp = Touchpoint(org_id=org_id, service_id=service.id, moment=data.moment, channel=data.channel,
                    activities=list(dict.fromkeys(data.activities)), initiator=data.initiator,
                    intensity=data.intensity, contact_needed=data.contact_needed,
                    name_es=data.name_es, name_en=data.name_en, created_at=utcnow())
    session.add(tp)
    session.flush()
    catalog_changed(session, org_id)
    record(session, org_id, actor, "touchpoint.create", f"service:{service_key}/touchpoint:{tp.id}",
           after={"moment": tp.moment, "channel": tp.channel, "activities": tp.activities,
                  "initiator": tp.initiator, "intensity": tp.intensity, "contact_needed": tp.contact_needed})
    return tp


def get_touchpoint(session: Session, org_id: int, service: Service, touchpoint_id: int) -> Touchpoint:
    tp = session.get(Touchpoint, touchpoint_id)
    if tp is None or tp.org_id != org_id or tp.service_id != service.id:
        raise NotFound("Touchpoint not found.", code="touchpoint_not_found", detail={"touchpoint_id": touchpoint_id})
    return tp


def update_touchpoint(session: Session, org_id: int, service_key: str, touchpoint_id: int, data: TouchpointCreate,
                      *, actor: Actor) -> Touchpoint:
    """Replace a touchpoint's moment, channel, activities, initiator, intensity and names (same checks as adding)."""
    service = get_service(session, org_id, service_key)
    tp = get_touchpoint(session, org_id, service, touchpoint_id)
    _check_touchpoint(session, org_id, service, data, touchpoint_id=tp.id)
    before = _touchpoint_summary(tp)
    tp.moment, tp.channel, tp.initiator, tp.intensity = data.moment, data.channel, data.initiator, data.intensity
    tp.activities, tp.contact_needed = list(dict.fromkeys(data.activities)), data.contact_needed
    tp.name_es, tp.name_en = data.name_es, data.name_en
    session.flush()
    catalog_changed(session, org_id)
    record_change(session, org_id, actor, "touchpoint.update", f"service:{service_key}/touchpoint:{tp.id}",
                  before=before, after=_touchpoint_summary(tp))
    return tp


def delete_touchpoint(session: Session, org_id: int, service_key: str, touchpoint_id: int, *, actor: Actor) -> None:
    """Remove a touchpoint: its activities no longer lead to a moment (events already stored keep theirs)."""
    service = get_service(session, org_id, service_key)
    tp = get_touchpoint(session, org_id, service, touchpoint_id)
    survey = session.scalar(select(Survey.key).where(Survey.touchpoint_id == tp.id).limit(1))
    if survey is not None:
        raise Conflict("A survey is sent at this touchpoint: remove it first.", code="touchpoint_has_survey",
                       detail={"survey": survey})
    before = _touchpoint_summary(tp)
    session.delete(tp)
    session.flush()
    catalog_changed(session, org_id)
    record(session, org_id, actor, "touchpoint.delete", f"service:{service_key}/touchpoint:{touchpoint_id}",
           before=before)


def list_touchpoints(session: Session, org_id: int, service_id: int) -> Sequence[Touchpoint]:
    stmt = select(Touchpoint).where(Touchpoint.org_id == org_id, Touchpoint.service_id == service_id)
    return session.scalars(stmt.order_by(Touchpoint.id)).all()


def activity_moments(session: Session, org_id: int, service_id: int) -> dict[str, str]:
    return {a: tp.moment for tp in list_touchpoints(session, org_id, service_id) for a in tp.activities}


@dataclass(frozen=True)
class EffectiveIntensity:
    intensity: str
    is_default: bool
    budget: int


def touchpoint_intensity(service: Service, model: JourneyModelDef, tp: Touchpoint) -> EffectiveIntensity:
    level = service.contact_level
    if tp.intensity is not None:
        return EffectiveIntensity(tp.intensity, False, cl.contact_budget(level, tp.intensity))
    value = cl.default_intensity(level, model.to_canonical(tp.moment))
    return EffectiveIntensity(value, True, cl.contact_budget(level, value))


def moment_intensity(service: Service, model: JourneyModelDef, moment: str,
                     touchpoints: Sequence[Touchpoint]) -> str:
    """The strongest intensity among the moment's touchpoints, else the level's default."""
    values = [touchpoint_intensity(service, model, tp).intensity for tp in touchpoints if tp.moment == moment]
    if not values:
        return cl.default_intensity(service.contact_level, model.to_canonical(moment))
    return max(values, key=cl.INTENSITIES.index)
