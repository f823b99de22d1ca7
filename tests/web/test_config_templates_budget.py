"""The message templates page under the template budget: a costly draft or one with a loader tag is refused with a
message next to the text, which is kept; previewing a draft is a reading request (its own route)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from momentos.notify import template_overrides
from tests.conftest import LiveServer
from tests.web.dashboard_helpers import PASSWORD, add_user
from tests.web.seed import csrf_of

COSTLY = "{% for i in range(2000) %}{% for j in range(2000) %}{{ j }}{% endfor %}{% endfor %}"


@contextmanager
def _manager(live_server: LiveServer, org_id: int) -> Iterator[httpx.Client]:
    email = add_user(live_server, org_id, "manager")
    with httpx.Client(base_url=live_server.url, follow_redirects=False, headers={"Accept-Language": "en"},
                      timeout=30) as c:
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}).status_code == 303
        yield c


def test_a_costly_draft_is_refused_next_to_the_text_and_kept(live_server: LiveServer) -> None:
    org = live_server.new_org()
    with _manager(live_server, org.id) as c:
        token = csrf_of(c.get("/config/templates?purpose=status").text)
        form = {"purpose": "status", "language": "es", "subject": "Hola", "body": COSTLY, "csrf": token}
        for path, data in (("/config/templates/preview", form), ("/config/templates", {**form, "action": "save"}),
                           ("/config/templates", {**form, "action": "preview"})):
            r = c.post(path, data=data)
            assert r.status_code == 400, (path, r.text[:300])
            assert 'id="t-body-error"' in r.text and 'data-budget="iterations"' in r.text
            assert 'aria-invalid="true" aria-errormessage="t-body-error"' in r.text
            assert html.escape(COSTLY, quote=False) in r.text  # the input is kept
        r = c.post("/config/templates", data={**form, "body": "{% include 'x' %}", "action": "save"})
        assert r.status_code == 400 and "include, import or extends" in r.text
        shown = c.post("/config/templates/preview", data={**form, "body": "Hola {{ customer_name }}"})
        assert shown.status_code == 200 and "Hola Ana" in shown.text
        assert c.post("/config/templates/preview", data={**form, "csrf": "forged"}).status_code == 400
    assert live_server.read(lambda s: template_overrides.list_overrides(s, org.id)) == []
