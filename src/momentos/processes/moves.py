"""Pure moment-history logic, shared by the incremental path and the full rebuild (so both always agree).

A move is an event that carries a moment. Moves apply in (timestamp, event id) order; an event stored later always
has a larger id, so a new event is in order when its timestamp is not older than the process's last move. A move to
the moment the process already stands in changes nothing. Moving back from the model's last moment (renewal) starts a
new cycle; any other move back or skip stays in the cycle. Each entry into a moment is a *stay*, recorded on the
event that caused it (``stay_seq``, ``stay_cycle``); a stay is left when the next one is entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Move:
    timestamp: datetime
    ref: int
    """The event id (stored events) or the position in the batch (events about to be stored)."""
    moment: str


@dataclass(frozen=True)
class Stay:
    seq: int
    moment: str
    cycle: int
    entered_at: datetime
    ref: int
    left_at: datetime | None = None


@dataclass(frozen=True)
class State:
    current: str | None = None
    entered_at: datetime | None = None
    cycle: int = 1
    seq: int = 0
    last_ts: datetime | None = None


@dataclass
class Advance:
    state: State
    stays: list[Stay] = field(default_factory=list)


def advance(state: State, moves: Iterable[Move], positions: dict[str, int]) -> Advance:
    """Apply moves, already in order and none older than ``state.last_ts``, to a state.

    ``positions`` maps the journey model's moment keys to their order.
    """
    result = Advance(state=state)
    last_position = len(positions) - 1
    current, entered_at, cycle, seq = state.current, state.entered_at, state.cycle, state.seq
    last_ts = state.last_ts
    for move in moves:
        last_ts = move.timestamp
        if current == move.moment:
            continue
        if current is not None and positions[current] == last_position and positions[move.moment] < last_position:
            cycle += 1
        seq += 1
        current, entered_at = move.moment, move.timestamp
        result.stays.append(Stay(seq, move.moment, cycle, move.timestamp, move.ref))
    result.state = State(current, entered_at, cycle, seq, last_ts)
    return result


def rebuild(moves: Iterable[Move], positions: dict[str, int]) -> Advance:
    """The whole history from scratch, from every move of the process."""
    return advance(State(), sorted(moves, key=lambda m: (m.timestamp, m.ref)), positions)


def is_in_order(state: State, first_timestamp: datetime) -> bool:
    return state.last_ts is None or first_timestamp >= state.last_ts


def with_left_times(stays: Sequence[Stay]) -> list[Stay]:
    """Fill ``left_at``: each stay is left when the next one is entered."""
    out = list(stays)
    for i in range(len(out) - 1):
        s = out[i]
        out[i] = Stay(s.seq, s.moment, s.cycle, s.entered_at, s.ref, out[i + 1].entered_at)
    return out
