"""The command line: every command builds its own settings and engine, and calls the same services."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from momentos.config import Settings
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.errors import MomentosError

app = typer.Typer(help="Momentos: manage the moments of contact with your customers.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the database migrations (creates the SQLite file if needed)."""
    from momentos.migrate import upgrade

    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@org_app.command("create")
def org_create(slug: str, name: Annotated[str | None, typer.Option(help="Display name")] = None,
               language: Annotated[str, typer.Option(help="es or en")] = "es",
               timezone: Annotated[str, typer.Option(help="IANA time zone")] = "UTC") -> None:
    """Create an organization and print its write and admin keys as JSON (shown once)."""
    from pydantic import ValidationError

    from momentos.orgs.schemas import OrganizationCreate
    from momentos.orgs.service import create_organization

    try:
        data = OrganizationCreate.model_validate({"slug": slug, "name": name or slug,
                                                  "default_language": language, "timezone": timezone})
    except ValidationError as exc:
        raise fail(f"invalid organization: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
    factory = make_session_factory(make_engine(Settings().effective_database_url))
    try:
        with unit_of_work(factory) as session:
            _, keys = create_organization(session, data)
    except MomentosError as exc:
        raise fail(exc.message) from exc
    typer.echo(json.dumps(keys.model_dump(), indent=2))


@app.command("serve")
def serve(host: Annotated[str | None, typer.Option()] = None, port: Annotated[int | None, typer.Option()] = None,
          workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1) -> None:
    """Serve the API, the ingestion endpoints and the pages. Forwarded headers (X-Forwarded-For) are honoured only
    from MOMENTOS_TRUSTED_PROXIES."""
    import uvicorn

    from momentos.web.proxies import SERVER_OPTIONS

    settings = Settings()
    uvicorn.run("momentos.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, log_level="info", **SERVER_OPTIONS)


@app.command("demo")
def demo(serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
         customers: Annotated[int, typer.Option(help="demo customers")] = 300,
         port: Annotated[int | None, typer.Option(help="port to serve on (default MOMENTOS_PORT or 8000)")] = None,
         ) -> None:
    """Migrate, load the demo organization (once), print its keys and serve on 127.0.0.1, with a worker beside the
    server (a child process, stopped with it) delivering into the local mailbox (``/ops/mailbox``): the demo turns
    ``MOMENTOS_NOTIFY__LOCAL_MAILBOX`` on unless it is set.

    The keys and the demo password are kept in ``DATA_DIR/demo-credentials.json`` (readable by you only), so a
    second run prints the same ones; if they no longer work (revoked, file removed), new ones are issued and the
    output says so."""
    from momentos.bootstrap import bootstrap
    from momentos.demo.loader import load_demo
    from momentos.demo.worker import DemoWorker
    from momentos.kit.clock import utcnow
    from momentos.migrate import upgrade
    from momentos.orgs.service import get_organization
    from momentos.users.service import demo_login

    os.environ.setdefault("MOMENTOS_NOTIFY__LOCAL_MAILBOX", "true")  # nothing leaves the machine
    if port is not None:
        # The served app reads its settings from the environment: the port, and links built on it.
        os.environ["MOMENTOS_PORT"] = str(port)
        os.environ.setdefault("MOMENTOS_PUBLIC_URL", f"http://{Settings().host}:{port}")
    settings = Settings()
    saved = settings.data_dir / "demo-credentials.json"
    previous = _read_json(saved)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine, settings.secret_key)) as session:
        info = load_demo(session, customers=customers, reactions=bootstrap(settings).reactions,
                         public_url=settings.public_url, keep=previous)
        found = previous.get("login")
        login: dict[str, Any] = found if isinstance(found, dict) else {}
        info["login"] = demo_login(session, get_organization(session, info["organization"]).id, utcnow(),
                                   keep=login.get("password"))
        if info["login"]["password"] != login.get("password"):
            info["credentials"] = "new"
    engine.dispose()
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.touch(mode=0o600)
    saved.write_text(json.dumps({key: info[key] for key in ("admin_key", "write_key", "login")}))
    typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
    if info["credentials"] == "new" and previous:
        typer.echo("The previous demo keys or password no longer worked: new ones were issued (above).")
    if serve_after:
        typer.echo(f"Momentos demo: open {settings.public_url}/?lang=es  (demo login or admin key above); "
                   f"messages arrive at {settings.public_url}/ops/mailbox")
        with DemoWorker():
            serve(None, settings.port, 1)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


@app.command("worker")
def worker(once: Annotated[bool, typer.Option(help="Exit when nothing is due")] = False,
           idle_exit: Annotated[float | None, typer.Option(help="Exit after this many idle seconds")] = None,
           name: Annotated[str | None, typer.Option(help="Lease owner name")] = None) -> None:
    """Run the background jobs in rounds: deliver notifications from the outbox (claim with a lease, re-check the
    policy, deliver, retry), the promise clock, text analysis and early warning, the analytics aggregates.

    The worker writes a heartbeat row (``momentos ops health``); SIGTERM or Ctrl-C stop it cleanly after the
    current round."""
    import socket

    from momentos.bootstrap import bootstrap
    from momentos.worker import loop

    wiring = bootstrap(Settings())
    settings = wiring.settings
    engine = make_engine(settings.effective_database_url)
    owner = name or f"{socket.gethostname()}:{os.getpid()}"
    try:
        heartbeat = loop.serve(make_session_factory(engine, settings.secret_key), wiring.jobs, owner,
                               poll_seconds=settings.notify.poll_seconds,
                               heartbeat_seconds=settings.notify.heartbeat_seconds, once=once, idle_exit=idle_exit)
    finally:
        engine.dispose()
    typer.echo(f"worker {owner}: {heartbeat.delivered} delivered")


def register_commands() -> None:
    """The commands that live with their domains (import, analytics/export, outbox…)."""
    from momentos.analytics import cli as analytics_cli
    from momentos.bootstrap import bootstrap
    from momentos.imports import cli as import_cli
    from momentos.listening import cli as listening_cli
    from momentos.notify import cli as notify_cli
    from momentos.ops import cli as ops_cli
    from momentos.orgs import cli as orgs_cli
    from momentos.privacy import cli as privacy_cli
    from momentos.promises import cli as promises_cli
    from momentos.segments import cli as segments_cli
    from momentos.users import cli as users_cli
    from momentos.web import cli as web_cli

    import_cli.register(app, lambda settings: bootstrap(settings).reactions)
    for module in (analytics_cli, notify_cli, promises_cli, listening_cli, segments_cli, users_cli, ops_cli, web_cli,
                   privacy_cli, orgs_cli):
        module.register(app)


def main() -> None:
    register_commands()
    try:
        app()
    except MomentosError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
