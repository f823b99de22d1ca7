"""``momentos outbox dead|replay``: the notifications that ended ``dead``, and sending them again. (Delivery is the
worker's job ``notify.deliver``; ``momentos worker`` is in ``momentos.cli``.)"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from momentos.orgs.cli import Org, add_group, org_session

outbox_app = typer.Typer(help="The notification outbox: dead notifications and replays.", no_args_is_help=True)


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
    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.notify import outbox

    if not ids and not all_dead:
        typer.echo("error: give notification ids or --all-dead", err=True)
        raise typer.Exit(2)
    with org_session(org) as (session, org_id):
        replayed = outbox.replay_many(session, org_id, None if all_dead else ids or [], utcnow(),
                                       actor=Actor.cli())
    typer.echo(f"{replayed} replayed")


def register(app: typer.Typer) -> None:
    """Add ``outbox`` to ``app`` (once)."""
    add_group(app, outbox_app, "outbox")
