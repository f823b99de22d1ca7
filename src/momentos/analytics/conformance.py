"""Conformance: the journey as designed against the journey as lived.

A process's *deviations* are a pure function of its history (its digest: activities with time, channel and
initiator; stays in order) and its service's design (``Design``: the journey model's moments in order, the
touchpoints, the contact budget per moment and the time the moment's promises allow). Kinds:

- ``skipped``: a forward move jumped over a moment the process never entered in that cycle;
- ``out_of_order``: a forward move jumped over a moment the process entered only later in that cycle (counted at
  the moment jumped to);
- ``backward``: a move to an earlier moment, other than a renewal (any move from the model's last moment starts a
  new cycle, as in processes/moves.py);
- ``unplanned``: an activity no touchpoint of the service plans (per channel), counted in the moment in effect at
  its time (the last stay entered at or before it, stays before events at equal times; events before any stay of
  the model are not counted);
- ``missed_contact``: a company-started touchpoint of a ``proactive`` moment none of whose activities ever
  happened, once the process left that moment (per touchpoint channel);
- ``over_budget``: more company-started contacts in a moment than the contact level's budget for its intensity
  (one deviation per moment; the events behind it are the contacts beyond the budget);
- ``overstay``: a stay longer than the moment's promises allow: the longest wall-clock target of its active time
  promises (``target_hours``) or windows (``window_hours``) without a business calendar (calendar-based promises
  count working time, which wall-clock time cannot judge). A stay left lasts until the next stay; the current stay
  until the process's last event (so deviations never depend on the time of the read).

Each deviation has a kind, a moment, a channel (unplanned and missed contacts) and the steps behind it (activity or
moment, time). ``contributions`` folds weighted digests into counter rows (table ``analytics_conformance``): as
every counter is a sum over digests, the incremental path (incremental.py) and the full path agree exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

KINDS: tuple[str, ...] = ("skipped", "out_of_order", "backward", "unplanned", "missed_contact", "over_budget",
                          "overstay")
ANY = "*"
"""Kind or moment or channel: every one."""
COUNTED = ""
"""Kind of the rows counting the processes concerned (a service's processes, or those a moment concerns)."""
SCHEMA: dict[str, Any] = {"scope": pl.Int64, "moment": pl.String, "kind": pl.String, "channel": pl.String,
                          "cases": pl.Int64, "deviations": pl.Int64}
_MICROS_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class Expected:
    """A company-started touchpoint of a proactive moment: one of its activities should happen."""

    moment: str
    channel: str
    activities: tuple[str, ...]


@dataclass(frozen=True)
class Design:
    """A service's designed journey, as conformance reads it (tuples only: its repr is its fingerprint)."""

    moments: tuple[str, ...]
    planned: tuple[str, ...]
    """Every activity some touchpoint of the service plans."""
    expected: tuple[Expected, ...] = ()
    budgets: tuple[tuple[str, int], ...] = ()
    """Moment → planned company-started contacts per process."""
    allowed_us: tuple[tuple[str, int], ...] = ()
    """Moment → longest stay its promises allow (µs); moments without such a promise are left out."""

    @cached_property
    def positions(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.moments)}

    @cached_property
    def planned_set(self) -> frozenset[str]:
        return frozenset(self.planned)

    @cached_property
    def budget_of(self) -> dict[str, int]:
        return dict(self.budgets)

    @cached_property
    def allowed_of(self) -> dict[str, int]:
        return dict(self.allowed_us)


@dataclass(frozen=True)
class Deviation:
    kind: str
    moment: str
    channel: str = ""
    steps: tuple[tuple[str, int], ...] = field(default=())
    """What is behind it: (activity or moment key, epoch µs) of the events."""


@dataclass(frozen=True)
class History:
    """One process's digest (aggregates.DIGEST_SCHEMA's lists)."""

    acts: Sequence[str]
    ats: Sequence[int]
    chs: Sequence[str | None]
    ins: Sequence[str | None]
    moms: Sequence[str]
    mts: Sequence[int]


def deviations(h: History, d: Design) -> list[Deviation]:
    """Every deviation of one process from its service's design."""
    pos = d.positions
    stays = [(k, m, h.mts[k]) for k, m in enumerate(h.moms) if m in pos]
    out = _moves(stays, d)
    in_effect = _moment_in_effect(h, stays)
    out += _unplanned(h, d, in_effect)
    out += _missed(h, d, stays)
    out += _over_budget(h, d, in_effect)
    out += _overstays(h, d)
    return out


def _moves(stays: Sequence[tuple[int, str, int]], d: Design) -> list[Deviation]:
    pos, last = d.positions, len(d.moments) - 1
    cycles: list[list[tuple[int, str, int]]] = [[]]
    for i, stay in enumerate(stays):
        if i and pos[stays[i - 1][1]] == last and stay[1] != stays[i - 1][1]:
            cycles.append([])  # renewal: a new cycle
        cycles[-1].append(stay)
    out: list[Deviation] = []
    for cycle in cycles:
        for i in range(1, len(cycle)):
            (_, a, ta), (_, b, tb) = cycle[i - 1], cycle[i]
            pa, pb = pos[a], pos[b]
            behind = ((a, ta), (b, tb))
            if pb < pa:
                out.append(Deviation("backward", b, steps=behind))
                continue
            before = {pos[m] for _, m, _ in cycle[:i]}
            after = {pos[m] for _, m, _ in cycle[i + 1:]}
            gaps = [k for k in range(pa + 1, pb) if k not in before]
            if any(k in after for k in gaps):
                out.append(Deviation("out_of_order", b, steps=behind))
            out += [Deviation("skipped", d.moments[k], steps=behind) for k in gaps if k not in after]
    return out


def _moment_in_effect(h: History, stays: Sequence[tuple[int, str, int]]) -> list[str | None]:
    """For each activity, the moment of the stay in effect at its time (None before any stay of the model)."""
    ordered = sorted(stays, key=lambda s: (s[2], s[0]))
    times = [s[2] for s in ordered]
    out: list[str | None] = []
    for t in h.ats:
        i = bisect.bisect_right(times, t)
        out.append(ordered[i - 1][1] if i else None)
    return out


def _unplanned(h: History, d: Design, in_effect: Sequence[str | None]) -> list[Deviation]:
    return [Deviation("unplanned", m, h.chs[j] or "", ((a, h.ats[j]),))
            for j, (a, m) in enumerate(zip(h.acts, in_effect, strict=True))
            if m is not None and a not in d.planned_set]


def _missed(h: History, d: Design, stays: Sequence[tuple[int, str, int]]) -> list[Deviation]:
    if not d.expected:
        return []
    left = {m: t for i, (_, m, t) in reversed(list(enumerate(stays))) if i < len(stays) - 1}
    happened = set(h.acts)
    return [Deviation("missed_contact", e.moment, e.channel, ((e.moment, left[e.moment]),))
            for e in d.expected if e.moment in left and happened.isdisjoint(e.activities)]


def _over_budget(h: History, d: Design, in_effect: Sequence[str | None]) -> list[Deviation]:
    outbound: dict[str, list[tuple[str, int]]] = {}
    for j, m in enumerate(in_effect):
        if m is not None and h.ins[j] == "company":
            outbound.setdefault(m, []).append((h.acts[j], h.ats[j]))
    budgets = d.budget_of
    return [Deviation("over_budget", m, steps=tuple(contacts[budgets[m]:]))
            for m, contacts in outbound.items() if m in budgets and len(contacts) > budgets[m]]


def _overstays(h: History, d: Design) -> list[Deviation]:
    allowed = d.allowed_of
    if not allowed or not h.moms:
        return []
    last = max(h.ats) if h.ats else h.mts[-1]
    out: list[Deviation] = []
    for k, m in enumerate(h.moms):
        if m not in allowed:
            continue
        end = h.mts[k + 1] if k + 1 < len(h.moms) else last
        if end - h.mts[k] > allowed[m]:
            out.append(Deviation("overstay", m, steps=((m, h.mts[k]),)))
    return out


# ---------------------------------------------------------------- folding

def counted_rows(h: History, d: Design) -> dict[tuple[str, str, str], int]:
    """(moment, kind, channel) → deviations, for the rows one process adds to (``cases`` + 1 each)."""
    found = deviations(h, d)
    rows: dict[tuple[str, str, str], int] = {(ANY, COUNTED, ANY): 0}
    concerned = {m for m in h.moms if m in d.positions} | {x.moment for x in found}
    for m in concerned:
        rows[(m, COUNTED, ANY)] = 0
    for x in found:
        keys = [(x.moment, x.kind, ANY), (ANY, x.kind, ANY), (x.moment, ANY, ANY), (ANY, ANY, ANY)]
        if x.kind in ("unplanned", "missed_contact"):
            keys += [(x.moment, x.kind, x.channel), (ANY, x.kind, x.channel)]
        for key in keys:
            rows[key] = rows.get(key, 0) + 1
    return rows


def history(row: Mapping[str, Any]) -> History:
    return History(row["acts"] or [], row["ats"] or [], row["chs"] or [], row["ins"] or [], row["moms"] or [],
                   row["mts"] or [])


def contributions(weighted: pl.DataFrame, designs: Mapping[int, Design]) -> pl.DataFrame:
    """What weighted digests (``w``: +1 or −1) add to analytics_conformance (processes of a designed service)."""
    sums: dict[tuple[int, str, str, str], list[int]] = {}
    if designs and not weighted.is_empty():
        frame = weighted.filter((pl.col("case_key") > 0) & pl.col("service_id").is_in(list(designs)))
        for row in frame.iter_rows(named=True):
            w = int(row["w"])
            for (m, k, c), n in counted_rows(history(row), designs[row["service_id"]]).items():
                acc = sums.setdefault((row["service_id"], m, k, c), [0, 0])
                acc[0] += w
                acc[1] += w * n
    rows = [(*key, cases, devs) for key, (cases, devs) in sums.items() if cases or devs]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def totals(histories: Iterable[tuple[History, Design]]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """The full path: (moment, kind, channel) → (processes, deviations) over the given processes of one service."""
    out: dict[tuple[str, str, str], list[int]] = {}
    for h, d in histories:
        for key, n in counted_rows(h, d).items():
            acc = out.setdefault(key, [0, 0])
            acc[0] += 1
            acc[1] += n
    return {k: (v[0], v[1]) for k, v in out.items()}


def hours_to_us(hours: float) -> int:
    return int(hours * _MICROS_PER_HOUR)
