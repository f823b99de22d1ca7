"""The pure decision: each rule in isolation, with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, time

from momentos.policy.engine import Facts, Rules, decide, quiet_until
from momentos.policy.rules import merge, to_rules

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday; 09:00 in Mexico City
ALL = frozenset({"email", "sms", "whatsapp", "webhook"})


def facts(**kwargs: object) -> Facts:
    base: dict[str, object] = {"purpose": "status", "addresses": ALL, "timezone": "America/Mexico_City"}
    base.update(kwargs)
    return Facts(**base)  # type: ignore[arg-type]


def codes(d: object) -> list[str]:
    return [r.code for r in d.reasons]  # type: ignore[attr-defined]


def test_status_message_goes_to_the_first_channel_with_an_address() -> None:
    d = decide(facts(addresses=frozenset({"sms"})), Rules(), NOW)
    assert (d.outcome, d.channel) == ("send", "sms")
    assert codes(d) == ["no_address", "allowed"]


def test_preferred_channel_first_then_fallback_when_consent_is_withdrawn() -> None:
    f = facts(preferred=("whatsapp", "email"), consents={("whatsapp", "*"): False})
    d = decide(f, Rules(), NOW)
    assert (d.outcome, d.channel) == ("send", "email")
    assert d.reasons[0].code == "no_consent" and d.reasons[0].params["channel"] == "whatsapp"


def test_do_not_contact_suppresses_even_transactional() -> None:
    d = decide(facts(do_not_contact=True, priority="transactional", purpose="transactional"), Rules(), NOW)
    assert d.outcome == "suppress" and codes(d) == ["do_not_contact"]


def test_marketing_needs_an_opt_in_and_the_most_specific_consent_wins() -> None:
    assert decide(facts(purpose="marketing"), Rules(), NOW).outcome == "suppress"
    f = facts(purpose="marketing", consents={("*", "marketing"): True, ("email", "*"): False})
    d = decide(f, Rules(), NOW)  # email/* is more specific than */marketing
    assert (d.outcome, d.channel) == ("send", "sms")


def test_moment_intensity_none_and_on_request_stop_proactive_contacts_but_not_answers() -> None:
    assert codes(decide(facts(intensity="none"), Rules(), NOW)) == ["intensity_none"]
    assert codes(decide(facts(intensity="on_request"), Rules(), NOW)) == ["intensity_on_request"]
    assert decide(facts(intensity="on_request", proactive=False), Rules(), NOW).outcome == "send"
    assert decide(facts(intensity="none", purpose="transactional"), Rules(), NOW).outcome == "send"


def test_quiet_hours_defer_to_their_end_in_the_customer_zone() -> None:
    rules = Rules(quiet_start=time(21), quiet_end=time(8))
    late = datetime(2026, 3, 5, 4, 30, tzinfo=UTC)  # 22:30 in Mexico City (UTC-6)
    d = decide(facts(), rules, late)
    assert d.outcome == "defer" and d.until == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert decide(facts(), rules, NOW).outcome == "send"
    assert quiet_until(rules, "Europe/Madrid", NOW) is None


def test_daily_cap_falls_back_to_another_channel_and_total_cap_defers_to_next_local_day() -> None:
    sent = [(datetime(2026, 3, 4, 14, 0, tzinfo=UTC), "email", "status")]
    rules = to_rules({"caps": {"channel:email": {"day": 1}}})
    d = decide(facts(sent=sent), rules, NOW)
    assert (d.outcome, d.channel) == ("send", "sms") and "cap_reached" in codes(d)
    rules = to_rules({"caps": {"*": {"day": 1}}})
    d = decide(facts(sent=sent), rules, NOW)
    assert d.outcome == "defer" and d.until == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # midnight in Mexico City


def test_weekly_cap_counts_the_local_calendar_week() -> None:
    monday = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 01:00 Monday in Mexico City: this week
    sunday = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 23:00 Sunday in Mexico City: last week
    rules = to_rules({"caps": {"purpose:status": {"week": 1}}})
    assert decide(facts(sent=[(sunday, "email", "status")]), rules, NOW).outcome == "send"
    d = decide(facts(sent=[(monday, "email", "status")]), rules, NOW)
    assert d.outcome == "defer" and d.until == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)


def test_transactional_bypasses_caps_but_not_consent() -> None:
    sent = [(NOW, "email", "transactional")] * 5
    rules = to_rules({"caps": {"*": {"day": 1}}})
    d = decide(facts(purpose="transactional", priority="transactional", sent=sent), rules, NOW)
    assert d.outcome == "send" and "caps_bypassed" in codes(d)
    f = facts(purpose="transactional", priority="transactional", consents={("*", "*"): False})
    assert decide(f, rules, NOW).outcome == "suppress"


def test_rules_layer_organization_service_moment_customer() -> None:
    merged = merge([{"quiet_hours": {"start": "21:00", "end": "08:00"}, "caps": {"*": {"week": 3}}},
                    {"caps": {"channel:sms": {"day": 1}}},
                    {"channel_order": ["sms", "email"]},
                    {"quiet_hours": None, "caps": {"*": {"week": 5}}}])
    rules = to_rules(merged)
    assert rules.quiet_start is None
    assert rules.caps == {"*": {"week": 5}, "channel:sms": {"day": 1}}
    assert rules.channel_order == ("sms", "email")


def test_a_channel_the_organization_cannot_deliver_on_is_skipped_with_its_reason() -> None:
    d = decide(facts(preferred=("whatsapp",), deliverable=frozenset({"email", "webhook"})), Rules(), NOW)
    assert (d.outcome, d.channel) == ("send", "email")
    assert [(r.code, r.params.get("channel")) for r in d.reasons] == [("channel_unavailable", "whatsapp"),
                                                                      ("allowed", "email")]
    nothing = decide(facts(deliverable=frozenset()), Rules(), NOW)
    assert nothing.outcome == "suppress" and codes(nothing) == ["channel_unavailable"] * 4 + ["no_channel"]


def test_a_failed_channel_is_not_tried_again_and_the_rest_of_the_policy_still_applies() -> None:
    failed = {"email": "hard_bounce"}
    d = decide(facts(failed=failed), Rules(), NOW)
    assert (d.channel, codes(d)) == ("sms", ["channel_failed", "allowed"])
    assert d.reasons[0].params == {"channel": "email", "failure": "hard_bounce"}
    no_consent = decide(facts(failed=failed, consents={("sms", "*"): False}), Rules(), NOW)
    assert no_consent.channel == "whatsapp" and codes(no_consent)[:2] == ["channel_failed", "no_consent"]
    quiet = decide(facts(failed=failed), Rules(quiet_start=time(8), quiet_end=time(10)), NOW)  # 09:00 local
    assert (quiet.outcome, quiet.channel) == ("defer", "sms")
