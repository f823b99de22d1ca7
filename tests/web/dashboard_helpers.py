"""Helpers of the dashboard tests: users with a role, password sign-in in the browser, axe-core in the page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.users import service as users
from tests.conftest import LiveServer, unique_slug
from tests.web.seed import csrf_of

PASSWORD = "a long enough test password"
AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def add_user(live_server: LiveServer, org_id: int, role: str, language: str | None = None) -> str:
    email = f"{role}-{unique_slug('u')}@example.com"
    with unit_of_work(live_server.factory) as session:
        user = users.create_user(session, email, PASSWORD, utcnow(), language)
        users.add_membership(session, user.id, org_id, role, utcnow())
    return email


def sign_in_user(page: Page, live_server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form's HTTP requests (the cookie lands in the page's context)."""
    token = csrf_of(page.context.request.get(f"{live_server.url}/login").text())
    response = page.context.request.post(f"{live_server.url}/login", max_redirects=0,
                                         form={"email": email, "password": password, "csrf": token})
    assert response.status == 303, response.text()


def axe_source() -> str:
    """axe-core from the npm registry (tests/web/axe, installed by `make test` with npm ci)."""
    if not AXE_JS.exists() and shutil.which("npm"):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=True,
                       capture_output=True)
    return AXE_JS.read_text()


def serious_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the current page (WCAG 2.x A/AA rules)."""
    page.evaluate(source)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
                                                                           'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    found = [v for v in result if v["impact"] in ("serious", "critical")]
    if found:
        print(json.dumps(found, indent=2))
    return found
