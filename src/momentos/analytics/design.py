"""Each service's designed journey as conformance reads it (conformance.Design), from the catalog and promises.

The moments come from the service's journey model, the planned activities and the expected company-started contacts
from its touchpoints (a touchpoint's effective intensity: its own, else the contact level's default), the budget per
moment from the contact level and the moment's intensity (catalog.moment_intensity), and the time allowed per moment
from the active promises of the service (their rule as stored; promises sit above analytics, so the rows are read
here directly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.analytics.conformance import Design, Expected, hours_to_us
from momentos.catalog import contact_levels as cl
from momentos.catalog import service as catalog
from momentos.models import PromiseDefinition, Service


def designs(session: Session, org_id: int) -> dict[int, Design]:
    """service id → its design."""
    every = allowed(session, org_id)
    return {s.id: service_design(session, org_id, s, every.get(s.id, {}))
            for s in catalog.list_services(session, org_id)}


def service_design(session: Session, org_id: int, service: Service, allowed_us: Mapping[str, int]) -> Design:
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    touchpoints = catalog.list_touchpoints(session, org_id, service.id)
    planned = sorted({a for tp in touchpoints for a in tp.activities})
    expected = tuple(Expected(tp.moment, tp.channel, tuple(tp.activities)) for tp in touchpoints
                     if tp.initiator == "company" and model.has(tp.moment)
                     and catalog.touchpoint_intensity(service, model, tp).intensity == "proactive")
    budgets = tuple((m, cl.contact_budget(service.contact_level,
                                          catalog.moment_intensity(service, model, m, touchpoints)))
                    for m in model.keys)
    limits = tuple(sorted((m, us) for m, us in allowed_us.items() if model.has(m)))
    return Design(tuple(model.keys), tuple(planned), expected, budgets, limits)


def allowed(session: Session, org_id: int) -> dict[int, dict[str, int]]:
    """service id → moment → the longest wall-clock time its active promises allow (µs)."""
    rows = session.execute(select(PromiseDefinition.service_id, PromiseDefinition.moment, PromiseDefinition.rule)
                           .where(PromiseDefinition.org_id == org_id, PromiseDefinition.active.is_(True)))
    out: dict[int, dict[str, int]] = {}
    for service_id, moment, rule in rows:
        hours = _wall_clock_hours(rule)
        if hours is not None:
            per = out.setdefault(service_id, {})
            per[moment] = max(per.get(moment, 0), hours_to_us(hours))
    return out


def _wall_clock_hours(rule: Mapping[str, Any]) -> float | None:
    if rule.get("calendar") or rule.get("due_property"):
        return None
    kind = rule.get("type", "time")
    value = rule.get("target_hours") if kind == "time" else rule.get("window_hours") if kind == "window" else None
    return float(value) if isinstance(value, int | float) and value > 0 else None
