"""A simple journey simulation: each customer gets 1–2 processes that walk through the 8 contact moments.

Processes drop off along the way, some move back (support → delivery) and some renew (loyalty → purchase, a new
cycle). The first processes of every service follow fixed paths, so that even a small demo has processes standing
in every moment, one that moved back and one in its second cycle. Pure: no database, deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from momentos.catalog.presets import CANONICAL_KEYS
from momentos.customers.schemas import IdentifyIn
from momentos.demo.people import Person
from momentos.demo.scenario import ServiceDef, Visit
from momentos.events.schemas import EventIn

MOMENTS = CANONICAL_KEYS
SPAN = timedelta(days=90)
# Chance that a process goes on from a moment (else it stays there); loyalty's is the chance of renewing.
CONTINUE = {"awareness": 0.72, "first_contact": 0.85, "consideration": 0.75, "purchase": 0.93, "delivery": 0.9,
            "use": 0.75, "support": 0.8, "loyalty": 0.3}
TO_SUPPORT = 0.3
BACK_FROM_SUPPORT = 0.3
BACK_GAP_HOURS = (1.0, 48.0)
RENEW_GAP_HOURS = (7 * 24.0, 40 * 24.0)
FOLLOW_UP_MINUTES = (2.0, 90.0)


def forced_paths() -> list[tuple[str, ...]]:
    """One process standing in each moment, one that moved back, one in its second cycle."""
    straight = [MOMENTS[: i + 1] for i in range(len(MOMENTS))]
    back = (*MOMENTS[:7], "delivery", "use")
    renewed = (*MOMENTS, "purchase", "delivery")
    return [*straight, back, renewed]


def random_path(rng: random.Random) -> tuple[str, ...]:
    path = [rng.choices(MOMENTS[:3], weights=(0.7, 0.2, 0.1))[0]]
    went_back = renewals = 0
    while rng.random() < CONTINUE[path[-1]]:
        current = path[-1]
        if current == "use":
            path.append("support" if rng.random() < TO_SUPPORT else "loyalty")
        elif current == "support":
            back = not went_back and rng.random() < BACK_FROM_SUPPORT
            went_back += back
            path.append("delivery" if back else "loyalty")
        elif current == "loyalty":
            if renewals == 2:
                break
            renewals += 1
            path.append("purchase")
        else:
            path.append(MOMENTS[MOMENTS.index(current) + 1])
    return tuple(path)


@dataclass
class Simulation:
    identifies: list[IdentifyIn] = field(default_factory=list)
    events: list[EventIn] = field(default_factory=list)
    processes: dict[str, int] = field(default_factory=dict)
    """Processes per service key."""


@dataclass(frozen=True)
class _Step:
    moment: str
    visit: Visit
    gap_hours: float


def _steps(rng: random.Random, service: ServiceDef, path: tuple[str, ...]) -> list[_Step]:
    steps: list[_Step] = []
    previous: str | None = None
    for moment in path:
        if previous == "support" and moment == "delivery":
            visit, gap = service.back, BACK_GAP_HOURS
        elif previous == "loyalty" and moment == "purchase":
            visit, gap = service.renew, RENEW_GAP_HOURS
        else:
            visit, gap = rng.choice(service.script[moment]), service.gap_hours[moment]
        steps.append(_Step(moment, visit, rng.uniform(*gap) if previous is not None else 0.0))
        previous = moment
    return steps


def _timeline(rng: random.Random, steps: list[_Step], anchor: datetime) -> list[tuple[datetime, str, bool]]:
    """(timestamp, activity, opens a purchase) for each event, ending before ``anchor``, within the span."""
    offsets: list[tuple[float, str, bool]] = []
    hours = 0.0
    for step in steps:
        hours += step.gap_hours
        for i, activity in enumerate(step.visit):
            if i:
                hours += rng.uniform(*FOLLOW_UP_MINUTES) / 60
            offsets.append((hours, activity, i == 0 and step.moment == "purchase"))
    span_hours = SPAN.total_seconds() / 3600 - 1
    scale = min(1.0, span_hours / hours) if hours else 1.0
    slack = rng.uniform(0.2, max(0.3, span_hours - hours * scale))
    start = anchor - timedelta(hours=hours * scale + slack)
    return [(start + timedelta(hours=h * scale), a, opens) for h, a, opens in offsets]


def _purchase_properties(rng: random.Random, service: ServiceDef) -> dict[str, Any]:
    props: dict[str, Any] = {k: rng.choice(v) for k, v in service.purchase_properties.items()}
    low, high = service.amount
    if high > 0:
        props.update(amount=round(rng.uniform(low, high), 2), currency="EUR")
    return props


def process_events(rng: random.Random, service: ServiceDef, person: Person, path: tuple[str, ...], number: int,
                   anchor: datetime) -> list[EventIn]:
    reference = f"{service.reference_prefix}-{number:05d}" if service.reference_prefix else None
    timeline = _timeline(rng, _steps(rng, service, path), anchor)
    return [EventIn(message_id=f"demo-{service.key}-{number:05d}-{i:02d}", customer=person.external_id,
                    timestamp=ts, activity=activity, service=service.key, process=reference,
                    properties=_purchase_properties(rng, service) if opens else {})
            for i, (ts, activity, opens) in enumerate(timeline)]


def _services_for(rng: random.Random, services: tuple[ServiceDef, ...]) -> list[ServiceDef]:
    first = rng.choices(services, weights=[s.weight for s in services])[0]
    if rng.random() >= 0.4:
        return [first]
    others = [s for s in services if s is not first]
    return [first, rng.choices(others, weights=[s.weight for s in others])[0]]


def simulate(rng: random.Random, people: list[Person], services: tuple[ServiceDef, ...],
             anchor: datetime) -> Simulation:
    sim = Simulation(processes={s.key: 0 for s in services})
    forced = forced_paths()
    for person in people:
        mine: list[EventIn] = []
        for service in _services_for(rng, services):
            k = sim.processes[service.key]
            sim.processes[service.key] = k + 1
            path = forced[k] if k < len(forced) else random_path(rng)
            mine.extend(process_events(rng, service, person, path, k + 1, anchor))
        first_seen = min(e.timestamp for e in mine) - timedelta(minutes=rng.uniform(1, 60))
        sim.identifies.append(IdentifyIn(customer=person.external_id, traits=person.traits(), timestamp=first_seen,
                                         language=person.language, timezone=person.timezone))
        sim.events.extend(mine)
    sim.events.sort(key=lambda e: (e.timestamp, e.message_id))
    return sim
