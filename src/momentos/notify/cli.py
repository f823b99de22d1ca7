"""``momentos worker``: outbox delivery and the background jobs of ``momentos.jobs`` (coordinated by the database)."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer


def worker(once: Annotated[bool, typer.Option(help="Exit when nothing is due")] = False,
           idle_exit: Annotated[float | None, typer.Option(help="Exit after this many idle seconds")] = None,
           name: Annotated[str | None, typer.Option(help="Lease owner name")] = None) -> None:
    """Deliver notifications from the outbox: claim with a lease, re-check the policy, deliver, retry."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory
    from momentos.notify.settings import NotifySettings
    from momentos.notify.tasks import run

    settings = Settings()
    notify_settings = NotifySettings()
    if not notify_settings.public_url:
        notify_settings.public_url = settings.public_url
    engine = make_engine(settings.effective_database_url)
    owner = name or f"{socket.gethostname()}:{os.getpid()}"
    try:
        sent = run(make_session_factory(engine), notify_settings, owner, once=once, idle_exit=idle_exit)
    finally:
        engine.dispose()
    typer.echo(f"worker {owner}: {sent} delivered")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
