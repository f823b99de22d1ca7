"""Organizations' templates render under a budget (output, loop iterations, string and list sizes, time) in one
sandbox shared by previews, saving and the worker; loader tags are refused with a 4xx, never a 500."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.audit.service import Actor
from momentos.config import NotifySettings
from momentos.errors import MomentosError
from momentos.kit.clock import utcnow
from momentos.models import NotificationTemplate
from momentos.notify.render import validate_override
from momentos.notify.tasks import run
from momentos.notify.template_overrides import list_overrides, put_override
from momentos.notify.template_sandbox import TemplateBudget, render_budgeted
from tests.conftest import OrgHandle
from tests.conftest import test_settings as settings_for
from tests.notify.helpers import customer, notifications, ship, shop
from tests.notify.receivers import Inbox

BASE = "/api/v1/notification-templates"
NESTED_LOOPS = "{% for i in range(2000) %}{% for j in range(2000) %}{{ j }}{% endfor %}{% endfor %}"
HUGE_STRING = "{{ ('x' * 400000000)|length }}"
SLOW = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
"""No loop, no large value: only the clock stops it (2**40 macro calls)."""
BUDGET = TemplateBudget()


def refused(source: str, budget: TemplateBudget = BUDGET) -> dict[str, Any]:
    with pytest.raises(MomentosError) as caught:
        render_budgeted(budget, source, {"name": "Ana"})
    assert caught.value.code == "template_too_costly" and caught.value.status == 422
    detail: dict[str, Any] = caught.value.detail
    return detail


def test_loop_iterations_are_counted_across_nesting() -> None:
    assert refused(NESTED_LOOPS) == {"budget": "iterations", "limit": 10_000}
    # 99 × 100 iterations pass; the same count split differently too
    assert len(render_budgeted(BUDGET, "{% for i in range(99) %}{% for j in range(100) %}.{% endfor %}{% endfor %}",
                               {})) == 9_900
    assert refused("{% for i in range(101) %}{% for j in range(100) %}{% endfor %}{% endfor %}")["budget"] == \
        "iterations"


def test_output_is_bounded() -> None:
    assert refused("{% for i in range(2000) %}{{ 'x' * 100 }}{% endfor %}") == {"budget": "output",
                                                                                "limit": 100_000}
    assert refused("{% macro m() %}{% for i in range(2000) %}{{ 'x' * 100 }}{% endfor %}{% endmacro %}"
                   "{% set s = m() %}ok")["budget"] == "output"


@pytest.mark.parametrize("source", [
    HUGE_STRING,
    "{% set s = 'x' * 60000 %}{% set s = s ~ s %}{{ s|length }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{{ (['x' * 1000] * 1000)|join }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ '%0999999999d'|format(1) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{:>{}}'.format(1, 999999999) }}",
    "{{ 'x'.ljust(999999999) }}",
    "{{ ('x' * 50000)|replace('x', 'yyyy') }}",
    "{{ ('x' * 50000)|wordwrap(1) }}",
    "{{ ('ab' * 1000)|indent(1000000) }}",
    "{{ 7 ** 100000 }}",
    "{{ ['x' * 90000] + ['y' * 90000] }}",
])
def test_strings_are_bounded_before_they_are_built(source: str) -> None:
    started = time.monotonic()
    assert refused(source)["budget"] == "size"
    assert time.monotonic() - started < 1.0  # refused up front, not after building the value (seconds of work)


@pytest.mark.parametrize("source", [
    "{{ range(100000)|length }}",
    "{{ ('x' * 50000)|list|length }}",
    "{{ ('x ' * 40000).split()|length }}",
    "{{ ([1] * 20000)|length }}",
])
def test_lists_are_bounded(source: str) -> None:
    assert refused(source) == {"budget": "items", "limit": 10_000}


def test_time_is_bounded_by_a_deadline_checked_from_the_hooks() -> None:
    started = time.monotonic()
    assert refused(SLOW) == {"budget": "seconds", "limit": 1.0}
    assert time.monotonic() - started < 2.0  # the slack is for a loaded machine; unbounded, this never ends
    quick = TemplateBudget(seconds=0.2)
    started = time.monotonic()
    assert refused(SLOW, quick)["budget"] == "seconds"
    assert time.monotonic() - started < 1.2


def test_ordinary_templates_render_as_before() -> None:
    source = ("Hola {{ name }}: {% for i in range(3) %}{{ i }}{% endfor %} {{ '%05d'|format(3) }} "
              "{{ [1, 2]|join(',') }} {{ 'a' ~ 'b' }} {{ '{:,}'.format(1234567) }} {{ 'x' * 3 }} {{ 2 ** 10 }} "
              "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %} {{ 'Ana'|center(7) }}")
    assert render_budgeted(BUDGET, source, {"name": "Ana"}) == \
        "Hola Ana: 012 00003 1,2 ab 1,234,567 xxx 1024 a=1   Ana  "


@pytest.mark.parametrize(("source", "tag"), [("{% include 'other' %}", "include"),
                                             ("{% import 'forms' as f %}", "import"),
                                             ("{% from 'forms' import field %}", "import"),
                                             ("{% extends 'base' %}", "extends")])
def test_loader_tags_are_refused_with_a_clear_code(source: str, tag: str) -> None:
    with pytest.raises(MomentosError) as caught:
        validate_override("status", "s", source, None, "es")
    assert (caught.value.code, caught.value.status, caught.value.detail) == ("template_tag_forbidden", 400,
                                                                             {"tag": tag})


def test_runtime_errors_of_a_template_are_invalid_not_500() -> None:
    for body in ("{{ 1 / 0 }}", "{{ 'a' + 1 }}", "{% set l = [] %}{{ l.append(1) }}", "{{ lipsum(5) }}"):
        with pytest.raises(MomentosError) as caught:
            validate_override("status", "s", body, None, "es")
        assert caught.value.code == "invalid_template", body


@pytest.mark.parametrize("body", [NESTED_LOOPS, HUGE_STRING, "{% include 'x' %}"])
def test_previews_answer_4xx_for_costly_or_loader_templates(client: TestClient, org: OrgHandle, body: str) -> None:
    started = time.monotonic()
    r = client.post(f"{BASE}/status/preview?lang=es", headers=org.admin, json={"subject": "s", "body": body})
    assert time.monotonic() - started < 5  # unbounded, the loops took 18 s
    expected = ("template_tag_forbidden", 400) if "include" in body else ("template_too_costly", 422)
    assert (r.json()["code"], r.status_code) == expected, r.text
    assert set(r.json()) == {"code", "message", "detail"}


def test_saving_refuses_a_template_over_the_budget(client: TestClient, db: Session, org: OrgHandle) -> None:
    for body in (NESTED_LOOPS, HUGE_STRING, SLOW):
        r = client.put(f"{BASE}/status/es", headers=org.admin, json={"subject": "s", "body": body})
        assert r.status_code == 422 and r.json()["code"] == "template_too_costly", r.text
    r = client.put(f"{BASE}/status/es", headers=org.admin, json={"subject": "{% extends 'x' %}", "body": "b"})
    assert r.status_code == 400 and r.json()["code"] == "template_tag_forbidden"
    assert list_overrides(db, org.id) == []
    with pytest.raises(MomentosError) as caught:
        put_override(db, org.id, "status", "*", "*", "es", subject="s", body=NESTED_LOOPS, html=None, now=utcnow(),
                     actor=Actor.cli("tests"))
    assert caught.value.code == "template_too_costly"


@pytest.fixture
def app_settings() -> Any:
    """A small output budget, to show the settings reach the API: 3,000 characters."""
    return settings_for(notify=NotifySettings(template_max_output=3_000))


def test_the_budget_comes_from_the_settings(client: TestClient, org: OrgHandle) -> None:
    body = "{% for i in range(40) %}{{ 'x' * 100 }}{% endfor %}"  # 4,000 characters: fine by default
    assert render_budgeted(BUDGET, body, {})
    r = client.post(f"{BASE}/status/preview", headers=org.admin, json={"subject": "s", "body": body})
    assert r.status_code == 422 and r.json()["detail"] == {"budget": "output", "limit": 3_000}


def test_the_worker_records_a_failure_instead_of_hanging(db: Session, org: OrgHandle, inbox: Inbox,
                                                         notify_settings: NotifySettings,
                                                         worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    for name in ("ana", "bea"):
        customer(db, org.id, name, email=f"{name}@example.com", language="es")
    # stored behind the checks' back (e.g. saved under a larger budget than the worker's)
    db.add(NotificationTemplate(org_id=org.id, purpose="status", moment="*", channel="*", language="es",
                                subject="s", body=SLOW, html=None, updated_at=utcnow()))
    db.flush()
    ship(db, org.id, "ana")
    ship(db, org.id, "bea")
    settings = notify_settings.model_copy(update={"template_seconds": 2.0})
    started = time.monotonic()
    run(worker_factory, settings, "w1", once=True)
    # one budget for the batch: the second message using the same override fails without rendering it again
    assert time.monotonic() - started < 3.9
    rows = notifications(db, org.id)
    assert len(rows) == 2
    for n in rows:
        assert n.status == "dead" and n.last_error is not None and "seconds" in n.last_error, n.last_error
    assert inbox.messages == []
    assert db.scalar(select(NotificationTemplate.id).where(NotificationTemplate.org_id == org.id)) is not None


def test_the_parts_of_one_message_share_one_budget() -> None:
    half = "{% for i in range(6000) %}{% endfor %}x"
    assert validate_override("status", half, "ok", None, "es").subject == "x"  # 6,000 iterations: fine alone
    with pytest.raises(MomentosError) as caught:
        validate_override("status", half, half, None, "es")  # 12,000 for the message: refused
    assert caught.value.detail == {"budget": "iterations", "limit": 10_000}


def test_one_rendering_at_a_time_per_organization_within_the_deadline() -> None:
    budget = TemplateBudget(seconds=0.5)
    results: dict[str, tuple[str, float]] = {}

    def render(name: str, org_id: int, body: str) -> None:
        started = time.monotonic()
        try:
            validate_override("status", "s", body, None, "es", budget=budget, org_id=org_id)
            results[name] = ("ok", time.monotonic() - started)
        except MomentosError as exc:
            results[name] = (str(exc.detail["budget"]), time.monotonic() - started)

    costly = [threading.Thread(target=render, args=(f"a{i}", 10**9 + 1, SLOW)) for i in range(2)]
    for t in costly:
        t.start()
    time.sleep(0.1)
    render("b", 10**9 + 2, "Hola {{ customer_name }}")  # another organization does not wait for them
    for t in costly:
        t.join()
    assert results["b"][0] == "ok" and results["b"][1] < 0.4, results
    # the one that waited for its organization's slot is refused when its own deadline passes
    assert [results[f"a{i}"][0] for i in range(2)] == ["seconds", "seconds"]
    assert max(results[f"a{i}"][1] for i in range(2)) < 0.5 + 1.0, results
