"""Promise indicators from the instances: compliance per promise, moment or service and per day or week, time
to recover, customers affected. Periods are UTC calendar days or ISO weeks of the close (kept/broken) time;
open instances count in the period they started in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from momentos.models import PromiseDefinition, PromiseInstance, Service
from momentos.promises.schemas import IndicatorRow

By = Literal["promise", "moment", "service"]
Period = Literal["day", "week", "all"]


@dataclass
class _Cell:
    kept: int = 0
    broken: int = 0
    open: int = 0
    affected: set[int] = field(default_factory=set)
    recover_hours: list[float] = field(default_factory=list)


def period_of(at: datetime, period: Period) -> str:
    if period == "all":
        return "all"
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return at.date().isoformat()


def compliance(session: Session, org_id: int, *, by: By = "promise", period: Period = "week",
               start: datetime | None = None, end: datetime | None = None,
               service_id: int | None = None, customers: Select[int] | None = None) -> list[IndicatorRow]:
    """``customers``: only the instances of these customers (a query of ids, e.g. a segment's members)."""
    i, d = PromiseInstance, PromiseDefinition
    stmt = (select(i.state, i.started_at, i.closed_at, i.stopped_at, i.customer_id, d.key, d.moment, Service.key)
            .join(d, d.id == i.definition_id).join(Service, Service.id == i.service_id).where(i.org_id == org_id))
    if service_id is not None:
        stmt = stmt.where(i.service_id == service_id)
    if customers is not None:
        stmt = stmt.where(i.customer_id.in_(customers))
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for state, started, closed, stopped, customer, key, moment, service in session.execute(stmt):
        at = closed if closed is not None else started
        if (start is not None and at < start) or (end is not None and at >= end):
            continue
        group = {"promise": key, "moment": moment, "service": service}[by]
        cell = cells[(period_of(at, period), group)]
        if state == "kept":
            cell.kept += 1
        elif state == "broken":
            cell.broken += 1
            cell.affected.add(customer)
            if stopped is not None and closed is not None and stopped > closed:
                cell.recover_hours.append((stopped - closed) / timedelta(hours=1))
        else:
            cell.open += 1
    return [IndicatorRow(period=p, **{by: g}, kept=c.kept, broken=c.broken, open=c.open,
                         compliance=c.kept / (c.kept + c.broken) if c.kept + c.broken else None,
                         customers_affected=len(c.affected),
                         median_hours_to_recover=median(c.recover_hours) if c.recover_hours else None)
            for (p, g), c in sorted(cells.items())]


def unrecovered_broken(session: Session, org_id: int, since: datetime) -> dict[int, int]:
    """Service id → instances broken since ``since`` whose stop activity has not happened yet (still owed)."""
    i = PromiseInstance
    stmt = (select(i.service_id, func.count()).where(i.org_id == org_id, i.state == "broken", i.stopped_at.is_(None),
                                                    i.closed_at >= since).group_by(i.service_id))
    return {int(sid): int(n) for sid, n in session.execute(stmt)}


def broken_by_service(session: Session, org_id: int, since: datetime) -> dict[int, tuple[int, int]]:
    """Service id → (instances broken since ``since``, those of them whose stop activity has not happened yet)."""
    i = PromiseInstance
    owed = case((i.stopped_at.is_(None), 1), else_=0)
    stmt = (select(i.service_id, func.count(), func.sum(owed))
            .where(i.org_id == org_id, i.state == "broken", i.closed_at >= since).group_by(i.service_id))
    return {int(sid): (int(n), int(o or 0)) for sid, n, o in session.execute(stmt)}


def states_by_kind(session: Session, org_id: int) -> dict[tuple[int, str], dict[str, int]]:
    """(service id, promise kind) → instances per state (pending and at risk together as ``open``), all time."""
    i, d = PromiseInstance, PromiseDefinition
    stmt = (select(i.service_id, d.kind, i.state, func.count()).join(d, d.id == i.definition_id)
            .where(i.org_id == org_id).group_by(i.service_id, d.kind, i.state))
    out: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: {"kept": 0, "broken": 0, "open": 0})
    for sid, kind, state, n in session.execute(stmt):
        out[(int(sid), kind)]["kept" if state == "kept" else "broken" if state == "broken" else "open"] += int(n)
    return dict(out)
