"""The contact-policy decision: a pure function of the facts (no database, no clock), fast enough to call for
every contact at request time and again at send time.

Order of checks: do-not-contact, the moment's intensity, then each channel in preference order (an address,
not disabled, not failed for this contact, deliverable by the organization, consent, frequency caps), then quiet
hours. Transactional contacts may bypass frequency caps;
nothing bypasses consent or do-not-contact. Quiet hours and caps defer (to the next allowed local time), they
never drop. Caps count what was sent and what is already queued for the same period (``Facts.queued``). Every
outcome carries reasons: a code plus parameters, translated when shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Outcome = Literal["send", "defer", "suppress"]
PURPOSES: tuple[str, ...] = ("transactional", "status", "promise", "survey", "marketing")
CHANNELS: tuple[str, ...] = ("email", "sms", "whatsapp", "webhook")
DEFAULT_ORDER: tuple[str, ...] = ("email", "sms", "whatsapp", "webhook")
PERIODS: tuple[str, ...] = ("day", "week")
# Without an explicit statement, service messages may be sent; surveys and marketing need an opt-in.
DEFAULT_CONSENT: Mapping[str, bool] = {"transactional": True, "status": True, "promise": True, "survey": False,
                                       "marketing": False}


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    channel: str | None = None
    until: datetime | None = None
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Rules:
    """The merged rules (organization → service → moment → customer). Caps map a key — ``*`` (all contacts),
    ``channel:<c>``, ``purpose:<p>`` or ``<c>/<p>`` — to a limit per period (``day`` or ``week``)."""

    quiet_start: time | None = None
    quiet_end: time | None = None
    caps: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    channel_order: tuple[str, ...] = DEFAULT_ORDER
    disabled_channels: frozenset[str] = frozenset()
    default_consent: Mapping[str, bool] = field(default_factory=lambda: dict(DEFAULT_CONSENT))


@dataclass(frozen=True)
class Facts:
    """What the policy knows about the customer and the contact asked for."""

    purpose: str
    priority: Literal["normal", "transactional"] = "normal"
    proactive: bool = True
    intensity: str = "proactive"
    do_not_contact: bool = False
    addresses: frozenset[str] = frozenset()
    """Channels the customer can be reached on (an e-mail address, a phone, the organization's webhook)."""
    preferred: tuple[str, ...] = ()
    consents: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    """(channel or ``*``, purpose or ``*``) → granted; the most specific statement wins."""
    timezone: str = "UTC"
    sent: Sequence[tuple[datetime, str, str]] = ()
    """Earlier contacts that count against caps: (when, channel, purpose), UTC."""
    queued: Sequence[tuple[datetime, str, str]] = ()
    """Contacts waiting in the queue, not yet counted: (when they are due — never before now —, channel or ``""``
    when not chosen yet, purpose), UTC. Each counts against the caps of the period it falls in, like a send."""
    deliverable: frozenset[str] | None = None
    """Channels the organization can deliver on (an SMTP server, a provider for SMS / WhatsApp, an enabled
    webhook endpoint); None: not known, every channel."""
    failed: Mapping[str, str] = field(default_factory=dict)
    """Channels that failed permanently for this contact → the failure (e.g. ``hard_bounce``): not tried again."""


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def consent_for(facts: Facts, rules: Rules, channel: str) -> tuple[bool, str]:
    """Granted or not, and which statement decided: ``channel/purpose``, ``channel/*``, ``*/purpose``, ``*/*``
    or ``default``."""
    purpose = facts.purpose
    for key in ((channel, purpose), (channel, "*"), ("*", purpose), ("*", "*")):
        if key in facts.consents:
            return facts.consents[key], f"{key[0]}/{key[1]}"
    return rules.default_consent.get(purpose, False), "default"


def channel_order(facts: Facts, rules: Rules) -> list[str]:
    return list(dict.fromkeys((*facts.preferred, *rules.channel_order)))


def _period_start(local: datetime, period: str) -> datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    return day - timedelta(days=day.weekday()) if period == "week" else day


def _next_period(local: datetime, period: str) -> datetime:
    """The next local midnight (day) or Monday midnight (week), as UTC."""
    start = _period_start(local, period)
    nxt = (start + timedelta(days=7 if period == "week" else 1)).date()
    return datetime.combine(nxt, time(0), tzinfo=local.tzinfo).astimezone(UTC)


def _cap_keys(channel: str, purpose: str) -> tuple[str, ...]:
    return ("*", f"channel:{channel}", f"purpose:{purpose}", f"{channel}/{purpose}")


def cap_block(facts: Facts, rules: Rules, channel: str, now: datetime) -> tuple[Reason, datetime] | None:
    """The first cap a send on ``channel`` would exceed, and when it reopens; None when within every cap. Sends
    and queued contacts count in the period they fall in."""
    if not rules.caps:
        return None
    tz = zone(facts.timezone)
    local_now = now.astimezone(tz)
    likely = {pu: _likely_channel(facts, rules, pu) for _, ch, pu in facts.queued if not ch}
    queued = [(at, ch or likely[pu], pu) for at, ch, pu in facts.queued]
    for key in _cap_keys(channel, facts.purpose):
        limits = rules.caps.get(key)
        if not limits:
            continue
        for period in PERIODS:
            limit = limits.get(period)
            if limit is None:
                continue
            start, end = _period_start(local_now, period).astimezone(UTC), _next_period(local_now, period)
            # a send counted by a concurrent decision may carry a clock a little ahead of ``now``: still this period
            used = sum(1 for at, ch, pu in facts.sent if start <= at < end and _counts(key, ch, pu))
            if queued:
                used += sum(1 for at, ch, pu in queued if start <= at < end and _counts(key, ch, pu))
            if used >= limit:
                return (Reason("cap_reached", {"cap": key, "period": period, "limit": limit, "channel": channel}),
                        _next_period(local_now, period))
    return None


def _likely_channel(facts: Facts, rules: Rules, purpose: str) -> str:
    """The channel a queued contact not decided yet would most likely take: the first in the customer's order with
    an address, not disabled, deliverable by the organization, and consent for its purpose (``""`` when none)."""
    asked = replace(facts, purpose=purpose)
    for channel in channel_order(facts, rules):
        if (channel in facts.addresses and channel not in rules.disabled_channels
                and (facts.deliverable is None or channel in facts.deliverable)
                and consent_for(asked, rules, channel)[0]):
            return channel
    return ""


def _counts(key: str, channel: str, purpose: str) -> bool:
    if key == "*":
        return True
    kind, _, value = key.partition(":")
    if kind == "channel":
        return channel == value
    if kind == "purpose":
        return purpose == value
    return key == f"{channel}/{purpose}"


def quiet_until(rules: Rules, timezone: str, now: datetime) -> datetime | None:
    """When quiet hours end, if ``now`` falls in them (local time of the customer); else None."""
    start, end = rules.quiet_start, rules.quiet_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone(timezone))
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    until = datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(UTC)
    return until if until > now else now + timedelta(minutes=1)


def decide(facts: Facts, rules: Rules, now: datetime) -> Decision:
    """send(channel) | defer(until) | suppress, with the reasons."""
    transactional = facts.priority == "transactional" or facts.purpose == "transactional"
    if facts.do_not_contact:
        return Decision("suppress", reasons=(Reason("do_not_contact"),))
    if facts.purpose not in PURPOSES:
        return Decision("suppress", reasons=(Reason("unknown_purpose", {"purpose": facts.purpose}),))
    if facts.proactive and not transactional:
        if facts.intensity == "none":
            return Decision("suppress", reasons=(Reason("intensity_none"),))
        if facts.intensity == "on_request":
            return Decision("suppress", reasons=(Reason("intensity_on_request"),))
    reasons: list[Reason] = []
    reopen: datetime | None = None
    for channel in channel_order(facts, rules):
        if channel not in facts.addresses:
            reasons.append(Reason("no_address", {"channel": channel}))
            continue
        if channel in rules.disabled_channels:
            reasons.append(Reason("channel_disabled", {"channel": channel}))
            continue
        if channel in facts.failed:
            reasons.append(Reason("channel_failed", {"channel": channel, "failure": facts.failed[channel]}))
            continue
        if facts.deliverable is not None and channel not in facts.deliverable:
            reasons.append(Reason("channel_unavailable", {"channel": channel}))
            continue
        granted, source = consent_for(facts, rules, channel)
        if not granted:
            reasons.append(Reason("no_consent", {"channel": channel, "purpose": facts.purpose, "source": source}))
            continue
        blocked = None if transactional else cap_block(facts, rules, channel, now)
        if blocked is not None:
            reasons.append(blocked[0])
            reopen = blocked[1] if reopen is None else min(reopen, blocked[1])
            continue
        if transactional and rules.caps:
            reasons.append(Reason("caps_bypassed"))
        until = quiet_until(rules, facts.timezone, now)
        if until is not None:
            reasons.append(Reason("quiet_hours", {"channel": channel}))
            return Decision("defer", channel=channel, until=until, reasons=tuple(reasons))
        reasons.append(Reason("allowed", {"channel": channel, "consent": source}))
        return Decision("send", channel=channel, reasons=tuple(reasons))
    if reopen is not None:
        return Decision("defer", until=reopen, reasons=tuple(reasons))
    reasons.append(Reason("no_channel"))
    return Decision("suppress", reasons=tuple(reasons))
