"""``momentos worker``: outbox delivery and the background jobs of ``momentos.jobs`` (coordinated by the database);
``momentos outbox dead|replay``: the notifications that ended ``dead``, and sending them again."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer

from momentos.orgs.cli import org_session

outbox_app = typer.Typer(help="The notification outbox: dead notifications and replays.", no_args_is_help=True)
Org = Annotated[str, typer.Option("--org", help="Slug of the organization.")]


def worker(once: Annotated[bool, typer.Option(help="Exit when nothing is due")] = False,
           idle_exit: Annotated[float | None, typer.Option(help="Exit after this many idle seconds")] = None,
           name: Annotated[str | None, typer.Option(help="Lease owner name")] = None) -> None:
    """Deliver notifications from the outbox: claim with a lease, re-check the policy, deliver, retry.

    The worker writes a heartbeat row (``momentos ops health``); SIGTERM or Ctrl-C stop it cleanly after the
    current round."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory
    from momentos.notify.settings import NotifySettings
    from momentos.notify.tasks import run
    from momentos.ops.heartbeats import Heartbeat

    settings = Settings()
    notify_settings = NotifySettings()
    if not notify_settings.public_url:
        notify_settings.public_url = settings.public_url
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    owner = name or f"{socket.gethostname()}:{os.getpid()}"
    heartbeat = Heartbeat(factory, owner, notify_settings.heartbeat_seconds)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _stopper(stop)) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        heartbeat.start()
        sent = run(factory, notify_settings, owner, once=once, idle_exit=idle_exit, heartbeat=heartbeat, stop=stop)
    except Exception as exc:
        heartbeat.crashed(exc)
        raise
    else:
        heartbeat.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.dispose()
    typer.echo(f"worker {owner}: {sent} delivered")


def _stopper(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    """The first SIGTERM or Ctrl-C stops the worker after its round; a second one interrupts it at once."""
    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return handler


@outbox_app.command("dead")
def dead(org: Org, limit: Annotated[int, typer.Option(help="At most this many")] = 100,
         as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False) -> None:
    """List the notifications that ended ``dead`` (id, purpose, attempts, last error)."""
    from momentos.notify import outbox

    with org_session(org) as (session, org_id):
        rows = outbox.list_notifications(session, org_id, "dead", limit)
        lines = [{"id": n.id, "customer_id": n.customer_id, "purpose": n.purpose, "channel": n.channel,
                  "attempts": n.attempts, "delivery_id": n.delivery_id, "last_error": n.last_error} for n in rows]
    for line in lines:
        typer.echo(json.dumps(line) if as_json else
                   f"{line['id']}  {line['purpose']}  attempts={line['attempts']}  {line['last_error'] or ''}")
    if not as_json:
        typer.echo(f"{len(lines)} dead")


@outbox_app.command("replay")
def replay(org: Org, ids: Annotated[list[int] | None, typer.Argument(help="Notification ids")] = None,
           all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead notification")] = False) -> None:
    """Queue dead (or suppressed) notifications again; they keep their delivery id, so receivers see one effect."""
    from momentos.kit.clock import utcnow
    from momentos.notify import outbox

    if not ids and not all_dead:
        typer.echo("error: give notification ids or --all-dead", err=True)
        raise typer.Exit(2)
    with org_session(org) as (session, org_id):
        replayed = outbox.replay_many(session, org_id, None if all_dead else ids or [], utcnow())
    typer.echo(f"{replayed} replayed")


def register(app: typer.Typer) -> None:
    """Add ``worker`` and ``outbox`` to ``app`` (once)."""
    if any(group.name == "outbox" for group in app.registered_groups):
        return
    app.command("worker")(worker)
    app.add_typer(outbox_app, name="outbox")
