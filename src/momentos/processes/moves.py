"""Pure moment-history logic, shared by the incremental path and the full rebuild (so both always agree).

Moves are (timestamp, event id, moment) triples applied in (timestamp, event id) order. A move to the moment
the process already stands in changes nothing. Moving back from the model's last moment (renewal) starts a
new cycle; any other move back or skip stays in the cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from momentos.catalog.presets import JourneyModelDef


@dataclass(frozen=True)
class Move:
    timestamp: datetime
    event_id: int
    moment: str


@dataclass(frozen=True)
class Stay:
    seq: int
    moment: str
    cycle: int
    entered_at: datetime
    entered_event_id: int
    left_at: datetime | None = None


@dataclass(frozen=True)
class State:
    current: str | None = None
    entered_at: datetime | None = None
    cycle: int = 1
    seq: int = 0
    last_ts: datetime | None = None
    last_event_id: int | None = None


@dataclass
class Advance:
    state: State
    left_at: datetime | None = None
    """When the stay open before this advance (``seq`` of the old state) was left, if it was."""
    stays: list[Stay] = field(default_factory=list)


def advance(state: State, moves: Iterable[Move], model: JourneyModelDef) -> Advance:
    """Apply moves (already in order, none older than ``state.last_ts``) to a state."""
    result = Advance(state=state)
    last_position = len(model.moments) - 1
    for move in moves:
        s = result.state
        if s.current == move.moment:
            result.state = replace(s, last_ts=move.timestamp, last_event_id=move.event_id)
            continue
        cycle = s.cycle
        if s.current is not None and model.position(s.current) == last_position \
                and model.position(move.moment) < last_position:
            cycle += 1
        if result.stays:
            result.stays[-1] = replace(result.stays[-1], left_at=move.timestamp)
        elif s.current is not None:
            result.left_at = move.timestamp
        result.stays.append(Stay(s.seq + 1, move.moment, cycle, move.timestamp, move.event_id))
        result.state = State(move.moment, move.timestamp, cycle, s.seq + 1, move.timestamp, move.event_id)
    return result


def rebuild(moves: Iterable[Move], model: JourneyModelDef) -> Advance:
    """The whole history from scratch, from every move of the process."""
    ordered = sorted(moves, key=lambda m: (m.timestamp, m.event_id))
    return advance(State(), ordered, model)


def is_in_order(state: State, first: Move) -> bool:
    if state.last_ts is None:
        return True
    return (first.timestamp, first.event_id) >= (state.last_ts, state.last_event_id or 0)
