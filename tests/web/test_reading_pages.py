"""Pages are reading requests (READ ONLY on PostgreSQL, no write lock on SQLite); the one write a page makes,
remembering the language chosen with ``?lang=``, runs in a short transaction of its own."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from momentos.models import User
from tests.conftest import LiveServer
from tests.web.dashboard_helpers import PASSWORD, add_user
from tests.web.seed import csrf_of


def test_a_page_read_remembers_the_chosen_language(live_server: LiveServer) -> None:
    org = live_server.new_org()
    email = add_user(live_server, org.id, "analyst")
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as c:
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}).status_code == 303
        for lang in ("en", "es"):
            r = c.get(f"/overview?lang={lang}")
            assert r.status_code == 200, r.text[:300]
            assert live_server.read(lambda s: s.scalar(select(User.language).where(User.email == email))) == lang
