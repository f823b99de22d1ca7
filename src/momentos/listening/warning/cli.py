"""``momentos feedback warnings --org SLUG --from DATE --to DATE [--json]``: replay the early-warning detector over
stored feedback (e.g. an imported history, which the regular 15-minute check never looks back at) and print the
episodes it would have opened, each scope against its own history. It only reads: nothing is recorded and nobody is
alerted (there is no ``--open``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer


def register(group: typer.Typer) -> None:
    """Add ``warnings`` to the ``feedback`` command group (once)."""
    if any(command.name == "warnings" for command in group.registered_commands):
        return
    group.command("warnings", no_args_is_help=True)(warnings_command)


def _moment(value: str, option: str) -> datetime:
    from momentos.kit.clock import ensure_utc

    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError as exc:
        typer.echo(f"error: {option} must be a date or a date and time (2024-05-01 or 2024-05-01T14:00)", err=True)
        raise typer.Exit(2) from exc


def warnings_command(
    org: Annotated[str, typer.Option("--org", help="Slug of the organization.")],
    start: Annotated[str, typer.Option("--from", help="First moment to check (a date: its midnight, UTC).")],
    end: Annotated[str, typer.Option("--to", help="Last moment to check, exclusive (a date: its midnight, UTC).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the episodes as JSON.")] = False,
) -> None:
    """Print the early-warning episodes the detector would have opened over stored feedback (writes nothing)."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import MomentosError
    from momentos.listening.warning.service import backfill
    from momentos.orgs.service import get_organization

    first, last = _moment(start, "--from"), _moment(end, "--to")
    if last <= first:
        typer.echo("error: --to must be after --from", err=True)
        raise typer.Exit(2)
    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            found = backfill(session, get_organization(session, org).id, first, last)
            session.rollback()
    except MomentosError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    rows = [{"scope": f.scope, "service_id": f.service_id, "started_at": f.started_at.isoformat(),
             "alarmed_at": f.alarmed_at.isoformat(), "last_hour_at": f.last_hour_at.isoformat(),
             "mode": f.first.mode, "count": f.peak.count, "negatives": f.peak.negatives,
             "expected_negatives": round(f.first.expected_negatives, 2),
             "expected_share": round(f.first.expected_share, 4)} for f in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        typer.echo(f"{r['started_at']}  alarm {r['alarmed_at']}  until {r['last_hour_at']}  {r['scope']}  "
                   f"{r['negatives']} negative of {r['count']} in the peak hour "
                   f"(expected {r['expected_negatives']}, {r['mode']} baseline)")
    typer.echo(f"{len(rows)} episode(s) from {first.isoformat()} to {last.isoformat()}", err=True)
