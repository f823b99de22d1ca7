"""``momentos feedback import FILE --org SLUG --source NAME``: complaints, reviews and mentions from a CSV file;
``momentos feedback reanalyze --org SLUG``: queue an organization's texts for a new analysis by the workers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer


def register(group: typer.Typer) -> None:
    """Add ``import`` to the ``feedback`` command group (once)."""
    if any(command.name == "import" for command in group.registered_commands):
        return
    group.command("import", no_args_is_help=True)(import_command)
    group.command("reanalyze", no_args_is_help=True)(reanalyze_command)


def reanalyze_command(org: Annotated[str, typer.Option("--org", help="Slug of the organization.")]) -> None:
    """Queue every text of the organization for a new analysis (run by ``momentos worker``)."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import MomentosError
    from momentos.listening.analysis.service import mark_for_analysis
    from momentos.orgs.service import get_organization

    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            queued = mark_for_analysis(session, get_organization(session, org).id)
    except MomentosError as exc:
        raise _fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps({"queued": queued}))


def import_command(
    file: Annotated[Path, typer.Argument(help="A CSV file with a text and a time column.", exists=True,
                                         dir_okay=False, readable=True)],
    org: Annotated[str, typer.Option("--org", help="Slug of the organization to import into.")],
    source: Annotated[str, typer.Option("--source", help="Where the items come from (e.g. trustpilot, x).")],
) -> None:
    """Import feedback (all or nothing; items already imported from the same source are skipped)."""
    from sqlalchemy.exc import DBAPIError

    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import ImportFailed, MomentosError
    from momentos.listening.feedback.csv_import import import_csv
    from momentos.orgs.service import get_organization

    if not source.strip() or len(source) > 64:
        raise _fail("--source must be 1 to 64 characters", 2)
    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            report = import_csv(session, get_organization(session, org).id, file, source.strip())
    except ImportFailed as exc:
        for error in (exc.detail or {}).get("errors", [])[1:]:
            typer.echo(f"error: {exc.file}:{error['line']}: {error['reason']}", err=True)
        raise _fail(exc.message, 2) from exc
    except MomentosError as exc:
        raise _fail(exc.message, 2) from exc
    except DBAPIError as exc:
        raise _fail(f"database error: {exc.orig} (is the database migrated? run 'momentos db upgrade')", 1) from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps(dataclasses.asdict(report), indent=2))
    typer.echo(f"imported {report.accepted} of {report.rows} items ({report.duplicates} already there)", err=True)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
