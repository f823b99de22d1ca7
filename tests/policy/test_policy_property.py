"""Property: over random sequences of consent changes, requests, clock advances and worker passes (with quiet
hours and caps drawn at random), the queue never sends after consent is revoked (rows already queued are
re-checked at send time), never sends in quiet hours, never exceeds a cap, lets transactional messages bypass
only the caps, and never drops a deferred contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momentos.policy.engine import PERIODS, Facts, Rules, decide, zone

CHANNELS = ("email", "sms")
PURPOSES = ("status", "marketing", "transactional")
ZONES = ("UTC", "America/Mexico_City", "Europe/Madrid", "Asia/Kolkata")
T0 = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # spans the EU daylight-saving change on 29 March


@dataclass
class Item:
    purpose: str
    not_before: datetime
    state: str = "queued"


@dataclass
class World:
    rules: Rules
    tz: str
    now: datetime = T0
    consents: dict[tuple[str, str], bool] = field(default_factory=dict)
    queue: list[Item] = field(default_factory=list)
    sent: list[tuple[datetime, str, str]] = field(default_factory=list)

    def facts(self, purpose: str) -> Facts:
        return Facts(purpose=purpose, priority="transactional" if purpose == "transactional" else "normal",
                     addresses=frozenset(CHANNELS), consents=dict(self.consents), timezone=self.tz,
                     sent=list(self.sent))


def consent_oracle(consents: dict[tuple[str, str], bool], channel: str, purpose: str) -> bool:
    for key in ((channel, purpose), (channel, "*"), ("*", purpose), ("*", "*")):
        if key in consents:
            return consents[key]
    return purpose != "marketing"


def in_quiet(rules: Rules, tz: str, at: datetime) -> bool:
    if rules.quiet_start is None or rules.quiet_end is None or rules.quiet_start == rules.quiet_end:
        return False
    t = at.astimezone(zone(tz)).time()
    s, e = rules.quiet_start, rules.quiet_end
    return s <= t < e if s < e else (t >= s or t < e)


def window_start(at: datetime, tz: str, period: str) -> datetime:
    local = at.astimezone(zone(tz))
    day = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return (day - timedelta(days=local.weekday()) if period == "week" else day).astimezone(UTC)


def matches(key: str, channel: str, purpose: str) -> bool:
    return key == "*" or key == f"channel:{channel}" or key == f"purpose:{purpose}"


ops = st.one_of(
    st.tuples(st.just("consent"), st.sampled_from((*CHANNELS, "*")), st.sampled_from((*PURPOSES, "*")),
              st.booleans()),
    st.tuples(st.just("request"), st.sampled_from(PURPOSES)),
    st.tuples(st.just("advance"), st.integers(1, 60 * 30)),
    st.tuples(st.just("work")),
)
caps = st.dictionaries(st.sampled_from(("*", "channel:email", "channel:sms", "purpose:status")),
                       st.fixed_dictionaries({}, optional={"day": st.integers(0, 3), "week": st.integers(0, 6)}),
                       max_size=3)
hours = st.one_of(st.none(), st.tuples(st.integers(0, 23), st.integers(0, 23)))


def work(w: World) -> None:
    for item in w.queue:
        if item.state != "queued" or item.not_before > w.now:
            continue
        d = decide(w.facts(item.purpose), w.rules, w.now)
        if d.outcome == "send":
            assert d.channel is not None
            check_send(w, item.purpose, d.channel)
            w.sent.append((w.now, d.channel, item.purpose))
            item.state = "sent"
        elif d.outcome == "defer":
            assert d.until is not None and d.until > w.now  # deferred, never dropped, always forward
            item.not_before = d.until
        else:
            item.state = "suppressed"


def check_send(w: World, purpose: str, channel: str) -> None:
    assert consent_oracle(w.consents, channel, purpose), "sent without consent"
    assert not in_quiet(w.rules, w.tz, w.now), "sent in quiet hours"
    if purpose == "transactional":
        return  # may bypass caps, and only caps
    for key, limits in w.rules.caps.items():
        if not matches(key, channel, purpose):
            continue
        for period in PERIODS:
            if period in limits:
                start = window_start(w.now, w.tz, period)
                used = sum(1 for at, ch, pu in w.sent if at >= start and matches(key, ch, pu))
                assert used < limits[period], f"cap {key}/{period} exceeded"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(ops, max_size=60), cap_rules=caps, quiet=hours, tz=st.sampled_from(ZONES))
def test_queue_respects_consent_quiet_hours_and_caps(program: list[tuple[object, ...]],
                                                     cap_rules: dict[str, dict[str, int]],
                                                     quiet: tuple[int, int] | None, tz: str) -> None:
    rules = Rules(quiet_start=time(quiet[0]) if quiet else None, quiet_end=time(quiet[1]) if quiet else None,
                  caps=cap_rules)
    w = World(rules, tz)
    for op in program:
        if op[0] == "consent":
            w.consents[(str(op[1]), str(op[2]))] = bool(op[3])
        elif op[0] == "request":
            w.queue.append(Item(str(op[1]), w.now))
        elif op[0] == "advance":
            w.now += timedelta(minutes=int(str(op[1])))
        else:
            work(w)
    # Let the queue drain for 15 days: nothing deferred is lost; what is left is suppressed by a rule.
    for _ in range(15 * 24):
        work(w)
        w.now += timedelta(hours=1)
    for item in w.queue:
        if item.state == "queued":  # still waiting: only because a cap (or quiet hours) defers it, never dropped
            d = decide(w.facts(item.purpose), w.rules, item.not_before - timedelta(seconds=1))
            assert d.outcome == "defer" and {r.code for r in d.reasons} & {"cap_reached", "quiet_hours"}
