"""Deviations of one process's history from its service's design (analytics/conformance.py), kind by kind."""

from __future__ import annotations

from momentos.analytics.conformance import ANY, COUNTED, Design, Expected, History, counted_rows, deviations

H = 3_600_000_000
MOMENTS = ("awareness", "first_contact", "consideration", "purchase", "delivery", "use", "support", "loyalty")
PLAN = {"ad": "awareness", "signup": "first_contact", "view": "consideration", "order": "purchase",
        "ship": "delivery", "use": "use", "ticket": "support", "renew": "loyalty"}
DESIGN = Design(MOMENTS, tuple(sorted(PLAN)), (Expected("delivery", "email", ("ship",)),),
                tuple((m, 1 if m == "delivery" else 0) for m in MOMENTS), (("purchase", 2 * H),))


def walk(*acts: str, extra: dict[int, tuple[str | None, str | None]] | None = None) -> History:
    """A history where each planned activity enters its moment, one hour apart."""
    extra = extra or {}
    ats = [i * H for i in range(len(acts))]
    moms = [PLAN[a] for a in acts if a in PLAN]
    mts = [ats[i] for i, a in enumerate(acts) if a in PLAN]
    chs = [extra.get(i, ("web", None))[0] for i in range(len(acts))]
    ins = [extra.get(i, ("web", None))[1] for i in range(len(acts))]
    return History(list(acts), ats, chs, ins, moms, mts)


def kinds(h: History) -> list[tuple[str, str]]:
    return [(d.kind, d.moment) for d in deviations(h, DESIGN)]


def test_a_process_along_the_design_has_no_deviation() -> None:
    assert kinds(walk("ad", "signup", "view", "order", "ship")) == []


def test_a_jump_over_moments_never_entered_skips_them() -> None:
    assert kinds(walk("ad", "view", "order")) == [("skipped", "first_contact")]


def test_a_jump_over_a_moment_entered_later_is_out_of_order_and_the_return_goes_backwards() -> None:
    assert kinds(walk("ad", "view", "signup", "view")) == [("out_of_order", "consideration"),
                                                           ("backward", "first_contact")]


def test_a_move_from_the_last_moment_is_a_renewal_not_a_move_backwards() -> None:
    h = walk("ad", "signup", "view", "order", "ship", "use", "ticket", "renew", "order", "ship")
    assert kinds(h) == []


def test_an_activity_no_touchpoint_plans_is_unplanned_in_the_moment_in_effect() -> None:
    found = deviations(walk("ad", "chat", extra={1: ("whatsapp", "customer")}), DESIGN)
    assert [(d.kind, d.moment, d.channel, d.steps) for d in found] == [
        ("unplanned", "awareness", "whatsapp", (("chat", H),))]


def test_a_proactive_company_contact_that_never_happened_is_missed_once_the_moment_is_left() -> None:
    h = History(["ad", "signup", "view", "order", "deliver", "use"], [0, H, 2 * H, 3 * H, 4 * H, 5 * H],
                ["web"] * 6, [None] * 6, ["awareness", "first_contact", "consideration", "purchase", "delivery",
                                          "use"], [0, H, 2 * H, 3 * H, 4 * H, 5 * H])
    assert ("missed_contact", "delivery") in kinds(h)
    assert ("missed_contact", "delivery") not in kinds(History(h.acts[:5], h.ats[:5], h.chs[:5], h.ins[:5],
                                                              h.moms[:5], h.mts[:5]))  # still there


def test_company_contacts_beyond_the_moment_budget_are_over_budget() -> None:
    company = ("email", "company")
    h = walk("ad", "signup", "view", "order", "ship", "poke", "poke", extra={4: company, 5: company, 6: company})
    found = [d for d in deviations(h, DESIGN) if d.kind == "over_budget"]
    assert [(d.moment, [a for a, _ in d.steps]) for d in found] == [("delivery", ["poke", "poke"])]


def test_a_stay_longer_than_the_moment_promises_allow_is_an_overstay() -> None:
    h = walk("ad", "signup", "view", "order", "note", "note", "ship")  # three hours in purchase, two allowed
    assert ("overstay", "purchase") in kinds(h)
    assert ("overstay", "purchase") not in kinds(walk("ad", "signup", "view", "order", "note", "ship"))


def test_counted_rows_count_the_process_once_per_moment_and_kind() -> None:
    rows = counted_rows(walk("ad", "view", "order", "chat", "chat"), DESIGN)
    assert rows[(ANY, COUNTED, ANY)] == 0
    assert rows[("first_contact", "skipped", ANY)] == 1
    assert rows[("purchase", "unplanned", ANY)] == 2
    assert rows[("purchase", "unplanned", "web")] == 2
    assert rows[(ANY, ANY, ANY)] == 3
    assert ("first_contact", COUNTED, ANY) in rows  # a skipped moment concerns the process
