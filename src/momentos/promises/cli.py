"""``momentos promises define|list|test|indicators``: the same services and JSON shapes as the API."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from momentos.orgs.cli import Org, add_group, org_session

promises_app = typer.Typer(help="Promises: define them, list them, test them against past events.",
                           no_args_is_help=True)

Start = Annotated[datetime | None, typer.Option("--from", help="Period start (inclusive), ISO 8601, UTC if naive.")]
End = Annotated[datetime | None, typer.Option("--to", help="Period end (exclusive), ISO 8601, UTC if naive.")]
Now = Annotated[datetime | None, typer.Option("--now", help="Judge at this time (default: the period end).")]


def register(app: typer.Typer) -> None:
    add_group(app, promises_app, "promises")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(2) from exc


def _create_model(data: Any, path: Path) -> Any:
    from pydantic import ValidationError

    from momentos.promises.schemas import PromiseCreate

    try:
        return PromiseCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        typer.echo(f"error: {path}: {'.'.join(str(x) for x in first['loc'])}: {first['msg']}", err=True)
        raise typer.Exit(2) from exc


def _echo(value: Any) -> None:
    from pydantic import TypeAdapter

    typer.echo(json.dumps(TypeAdapter(Any).dump_python(value, mode="json"), indent=2, ensure_ascii=False))


@promises_app.command("define")
def define(org: Org, file: Annotated[Path, typer.Argument(help="JSON file: the promise (the API's body).",
                                                          exists=True, dir_okay=False)]) -> None:
    """Define a promise (kind, texts in es/en, rule, recovery message, staff alert)."""
    from momentos.audit.service import Actor
    from momentos.promises import definitions

    data = _create_model(_load(file), file)
    with org_session(org) as (session, org_id):
        _echo(definitions.to_read(session, definitions.create(session, org_id, data, actor=Actor.cli())))


@promises_app.command("list")
def list_command(org: Org, service: Annotated[str | None, typer.Option("--service")] = None) -> None:
    """The organization's promises."""
    from momentos.promises import definitions

    with org_session(org) as (session, org_id):
        rows = [definitions.to_read(session, r) for r in definitions.list_definitions(session, org_id, service)]
    for r in rows:
        typer.echo(f"{r.key}  {r.kind}  {r.service}/{r.moment}  {'active' if r.active else 'retired'}  {r.text['en']}")


@promises_app.command("test")
def score_command(org: Org, key: Annotated[str | None, typer.Argument(help="A stored promise's key.")] = None,
                 file: Annotated[Path | None, typer.Option("--file", help="Or a draft promise (JSON).",
                                                           exists=True, dir_okay=False)] = None,
                 start: Start = None, end: End = None, now: Now = None) -> None:
    """What would this promise have scored in a period? Evaluated on the stored events; nothing is stored."""
    from momentos.catalog import service as catalog
    from momentos.kit.clock import ensure_utc, utcnow
    from momentos.promises import definitions, scoring

    if (key is None) == (file is None):
        typer.echo("error: give a promise key or --file", err=True)
        raise typer.Exit(2)
    start, end = (ensure_utc(start) if start else None), (ensure_utc(end) if end else None)
    judged = ensure_utc(now) if now else (end or utcnow())
    with org_session(org) as (session, org_id):
        if file is not None:
            draft = _create_model(_load(file), file)
            service_id, rule = catalog.get_service(session, org_id, draft.service).id, draft.rule.compile()
        else:
            assert key is not None
            row = definitions.get(session, org_id, key)
            service_id, rule = row.service_id, definitions.compile_definition(row).rule
        _echo(scoring.score_rule(session, org_id, service_id, rule, start, end, judged))


@promises_app.command("indicators")
def indicators_command(org: Org,
                       by: Annotated[str, typer.Option("--by", help="promise, moment or service")] = "promise",
                       period: Annotated[str, typer.Option("--period", help="day, week or all")] = "week") -> None:
    """Compliance, customers affected and time to recover, per promise, moment or service and period."""
    from momentos.promises import indicators

    if by not in ("promise", "moment", "service") or period not in ("day", "week", "all"):
        typer.echo("error: --by promise|moment|service, --period day|week|all", err=True)
        raise typer.Exit(2)
    with org_session(org) as (session, org_id):
        _echo(indicators.compliance(session, org_id, by=by, period=period))  # type: ignore[arg-type]
