"""``momentos demo`` runs its worker beside the server and delivers into the local mailbox: within a minute of the
start the mailbox holds status notices, a promise-recovery message and a survey invitation, the health answer shows
a live worker and no dead notification, and stopping the demo stops its worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.seed import csrf_of

DEADLINE = 60.0
"""From the moment the demo serves (its data loaded) to the messages in its mailbox."""
STARTUP = 240.0
"""Migrating and loading the demo data (seconds on an idle machine; more on a busy test machine)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTOS_")}
    env.update(MOMENTOS_DATA_DIR=str(data), PYTHONUNBUFFERED="1", PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    out = (data / "demo.out").open("w+")
    started = time.monotonic()
    demo = subprocess.Popen([sys.executable, "-m", "momentos.cli", "demo", "--port", str(port), "--customers", "30"],
                            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=data)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/login", timeout=2).status_code == 200, started, demo, out, STARTUP)
        started = time.monotonic()
        saved = json.loads((data / "demo-credentials.json").read_text())
        yield {"base": base, "db": data / "momentos.db", "admin_key": saved["admin_key"], "started": started,
               "process": demo, "out": out}
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(30)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
        out.close()


def _wait(ready: Any, started: float, demo: subprocess.Popen[bytes], out: Any, limit: float = DEADLINE) -> None:
    while time.monotonic() - started < limit:
        if demo.poll() is not None:
            out.seek(0)
            pytest.fail(f"the demo exited: {out.read()[-3000:]}")
        try:
            if ready():
                return
        except (httpx.HTTPError, sqlite3.Error, OSError):
            pass
        time.sleep(0.5)
    out.seek(0)
    pytest.fail(f"not within {limit} s: {out.read()[-3000:]}")


def _mailbox(db: Path) -> dict[str, set[str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select m.purpose, n.template from mailbox_messages m "
                            "join notifications n on n.id = m.notification_id").fetchall()
    found: dict[str, set[str]] = {}
    for purpose, template in rows:
        found.setdefault(purpose, set()).add(template)
    return found


def test_the_demo_delivers_notices_recovery_and_survey_into_its_mailbox_within_a_minute(
        running_demo: dict[str, Any]) -> None:
    def arrived() -> bool:
        found = _mailbox(running_demo["db"])
        return "status" in found and "promise_broken" in found.get("promise", set()) and "survey" in found

    _wait(arrived, running_demo["started"], running_demo["process"], running_demo["out"])
    health = httpx.get(f"{running_demo['base']}/api/v1/ops/health", timeout=5,
                       headers={"Authorization": f"Bearer {running_demo['admin_key']}"}).json()
    assert [w["status"] for w in health["workers"]] == ["alive"]
    assert health["outbox"]["dead"] == 0
    assert "notifications_waiting" not in health["warnings"]


def test_the_mailbox_page_shows_what_arrived(running_demo: dict[str, Any]) -> None:
    with httpx.Client(base_url=running_demo["base"], timeout=10) as client:
        token = csrf_of(client.get("/login").text)
        assert client.post("/login", data={"key": running_demo["admin_key"], "csrf": token}).status_code == 303
        page = client.get("/ops/mailbox?lang=en")
        ops = client.get("/ops?lang=en")
    assert page.status_code == 200
    assert 'data-purpose="status"' in page.text
    assert 'data-warning="notifications_waiting"' not in ops.text
    assert 'data-status="alive"' in ops.text


def test_stopping_the_demo_stops_its_worker(running_demo: dict[str, Any]) -> None:
    demo = running_demo["process"]
    demo.send_signal(signal.SIGINT)
    assert demo.wait(30) == 0
    with sqlite3.connect(running_demo["db"]) as conn:
        stopped = conn.execute("select count(*) from worker_heartbeats where stopped_at is null").fetchone()[0]
    assert stopped == 0, "the demo's worker did not stop with it"
