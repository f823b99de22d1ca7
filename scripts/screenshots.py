"""A screenshot of every page (Spanish, desktop width) in docs/screenshots/, with an index (README.md there).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--customers 60]

Loads the demo organization into a temporary data directory, serves the app on a free loopback port, signs in with
the demo login and visits every page found in the app's route table (GET routes outside the API, downloads and the
API docs aside), filling path parameters from the demo data. Works offline with Debian's chromium. A page added to
the app is photographed on the next run without touching this script, unless its path takes a parameter not known
here (then the run stops and names it: add it to ``PARAMS``).
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi import FastAPI  # noqa: E402
from fastapi.routing import iter_route_contexts  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
WIDTH, VIEW_HEIGHT, MAX_HEIGHT = 1280, 900, 2400
API_PREFIXES = ("/api/", "/v1/")
NOT_PAGES = {
    "/openapi.json": "the API's description (JSON)",
    "/docs": "the API docs (Swagger UI, vendored)",
    "/redoc": "the API docs (ReDoc)",
}
DOWNLOAD = re.compile(r"\.(pdf|html|csv|xes|parquet|json|png)$|/export$")
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
QUERIES = {"/services/{key}/map/cell": "moment=purchase&kind=reached"}
"""Pages that need a query string to show something."""
PARAMS = ("key", "external_id", "token", "episode_id", "need_id", "survey_key")
"""The path parameters ``demo_values`` fills (``route#name`` overrides one for one route: the status page and the
survey page both take a ``token``, each its own kind)."""


@dataclass(frozen=True)
class Shot:
    name: str
    route: str
    url: str


def page_routes(app: FastAPI) -> list[str]:
    """Every GET route of the app outside the API, in the route table's order."""
    paths = []
    for route in iter_route_contexts(app.routes):
        path = str(route.path)
        if route.methods and "GET" in route.methods and not path.startswith(API_PREFIXES) and path not in paths:
            paths.append(path)
    return paths


def skipped(route: str) -> str | None:
    """Why a GET route is not photographed (a download or the API docs), or None for a page."""
    if route in NOT_PAGES:
        return NOT_PAGES[route]
    return "a download" if DOWNLOAD.search(route) else None


def shot_name(route: str) -> str:
    """``/services/{key}/map`` → ``services-key-map``; ``/`` → ``home``."""
    name = re.sub(r"[^a-z0-9]+", "-", PARAM.sub(lambda m: m.group(1), route).lower()).strip("-")
    return name or "home"


def plan(app: FastAPI, values: dict[str, str]) -> tuple[list[Shot], dict[str, str]]:
    """The pages to photograph (path parameters filled from ``values``) and the GET routes left out, with why.
    A page whose path takes a parameter missing from ``values`` raises KeyError naming it."""
    shots, left_out = [], {}
    for route in page_routes(app):
        reason = skipped(route)
        if reason:
            left_out[route] = reason
            continue
        missing = [m.group(1) for m in PARAM.finditer(route) if m.group(1) not in values]
        if missing:
            raise KeyError(f"{route}: no value for {', '.join(missing)} (add it to PARAMS and demo_values)")
        path = PARAM.sub(lambda m, r=route: values.get(f"{r}#{m.group(1)}", values[m.group(1)]), route)
        query = QUERIES.get(route)
        shots.append(Shot(shot_name(route), route, f"{path}?{query + '&' if query else ''}lang=es"))
    return shots, left_out


def demo_values(session: Any) -> dict[str, str]:
    """A service, a customer, a need, a survey and an early-warning episode of the demo organization; a real status
    link and a real survey link of one of its processes (made here, as staff would from the customer page)."""
    from sqlalchemy import select

    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.listening.surveys.service import invite_to_process, link_token_of
    from momentos.models import Customer, Need, Organization, Process, Service, Survey, WarningEpisode
    from momentos.notify.status_tokens import ensure_token

    org_id = session.scalar(select(Organization.id).where(Organization.slug == "demo"))
    service = session.scalar(select(Service.key).where(Service.org_id == org_id).order_by(Service.id))
    customer = session.scalar(select(Customer.external_id).where(Customer.org_id == org_id)
                              .order_by(Customer.id))
    need = session.scalar(select(Need.id).where(Need.org_id == org_id).order_by(Need.id))
    episode = session.scalar(select(WarningEpisode.id).where(WarningEpisode.org_id == org_id)
                             .order_by(WarningEpisode.id))
    survey = session.scalars(select(Survey).where(Survey.org_id == org_id).order_by(Survey.id)).first()
    process = session.scalars(select(Process).where(Process.org_id == org_id, Process.service_id == survey.service_id)
                              .order_by(Process.id)).first() if survey is not None else None
    status, answer = "demo-link", "demo-link"
    if process is not None and survey is not None:
        status = ensure_token(session, org_id, process.id, utcnow())
        invitation = invite_to_process(session, org_id, survey, process, utcnow(), actor=Actor.system("screenshots"))
        answer = link_token_of(session, invitation) or answer
    return {"key": service, "external_id": customer, "token": status, "/f/{token}#token": answer,
            "need_id": str(need or 0), "episode_id": str(episode or 0),
            "survey_key": survey.key if survey is not None else "none"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(data_dir: Path, port: int, customers: int) -> tuple[Any, dict[str, str], dict[str, str]]:
    """Migrate a fresh database in ``data_dir``, load the demo; the app, the demo login and the path values."""
    from momentos.app import create_app
    from momentos.bootstrap import bootstrap
    from momentos.config import NotifySettings, Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.demo.loader import load_demo
    from momentos.kit.clock import utcnow
    from momentos.migrate import upgrade
    from momentos.notify.tasks import run as deliver
    from momentos.orgs.service import get_organization
    from momentos.users.service import demo_login

    # as in `momentos demo`: the local mailbox, and one pass of its worker, so the mailbox and the "why contacted"
    # pages show what was delivered
    settings = Settings(data_dir=data_dir, public_url=f"http://127.0.0.1:{port}",
                        notify=NotifySettings(local_mailbox=True, public_url=f"http://127.0.0.1:{port}"))
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine, settings.secret_key)) as session:
        load_demo(session, customers=customers, reactions=bootstrap(settings).reactions,
                  public_url=settings.public_url)
        login = demo_login(session, get_organization(session, "demo").id, utcnow())
        values = demo_values(session)
    deliver(make_session_factory(engine, settings.secret_key), settings.notify, "screenshots", once=True)
    engine.dispose()
    return create_app(settings), login, values


def _serve(app: Any, port: int) -> Any:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            return server
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


def _photograph(base: str, login: dict[str, str], shots: list[Shot], out: Path) -> list[tuple[Shot, int]]:
    from playwright.sync_api import sync_playwright

    done = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="es-ES", viewport={"width": WIDTH, "height": VIEW_HEIGHT})
        page = context.new_page()
        for shot in shots:  # the sign-in page first: once signed in, it sends on to the start page
            if shot.route == "/login":
                done.append(_take(page, base, shot, out))
        page.goto(f"{base}/login?lang=es")
        page.fill("input[name=email]", login["email"])
        page.fill("input[name=password]", login["password"])
        with page.expect_navigation():
            page.locator("form:has(input[name=password]) [type=submit]").first.click()
        done += [_take(page, base, shot, out) for shot in shots if shot.route != "/login"]
        browser.close()
    return done


def _take(page: Any, base: str, shot: Shot, out: Path) -> tuple[Shot, int]:
    """One screenshot, cut at MAX_HEIGHT and reduced to 256 colours (a few times smaller, still sharp)."""
    from PIL import Image

    response = page.goto(base + shot.url, wait_until="networkidle")
    status = response.status if response else 0
    height = min(MAX_HEIGHT, int(page.evaluate("document.documentElement.scrollHeight")))
    target = out / f"{shot.name}.png"
    page.screenshot(path=str(target), full_page=True,
                    clip={"x": 0, "y": 0, "width": WIDTH, "height": max(height, VIEW_HEIGHT)})
    with Image.open(target) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(target, optimize=True)
    print(f"{status} {shot.url} -> {target.name}")
    return shot, status


def _index(done: list[tuple[Shot, int]], left_out: dict[str, str], out: Path) -> None:
    lines = ["# Screenshots", "",
             "Every page of Momentos in Spanish at desktop width (1280 px; long pages cut at 2400 px), taken from the "
             "demo organization by `scripts/screenshots.py` (run it again to refresh them).", "",
             "| Page | Route | Screenshot |", "| --- | --- | --- |"]
    for shot, status in done:
        note = "" if status == 200 else f" (HTTP {status})"
        lines.append(f"| {shot.name}{note} | `{shot.route}` | [![{shot.name}]({shot.name}.png)]({shot.name}.png) |")
    lines += ["", "Not photographed:", ""]
    lines += [f"- `{route}`: {reason}" for route, reason in left_out.items()]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--customers", type=int, default=60)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="momentos-shots-") as tmp:
        app, login, values = _load(Path(tmp), port, args.customers)
        shots, left_out = plan(app, values)
        for old in out.glob("*.png"):
            old.unlink()
        server = _serve(app, port)
        try:
            done = _photograph(f"http://127.0.0.1:{port}", login, shots, out)
        finally:
            server.should_exit = True
    _index(done, left_out, out)
    print(f"{len(done)} screenshots in {out}")


if __name__ == "__main__":
    main()
