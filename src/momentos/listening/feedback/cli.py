"""``momentos feedback import FILE --org SLUG --source NAME``: complaints, reviews and mentions from a CSV file;
``momentos feedback reanalyze --org SLUG [--now]``: queue an organization's texts for a new analysis by the workers
(or run it at once, with a progress bar on stderr). Both print JSON on stdout."""

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


def reanalyze_command(
    org: Annotated[str, typer.Option("--org", help="Slug of the organization.")],
    now: Annotated[bool, typer.Option("--now", help="Analyse here and now instead of leaving it to the workers.")]
    = False,
) -> None:
    """Queue every text of the organization for a new analysis (run by ``momentos worker``, or here with --now)."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import MomentosError
    from momentos.kit.clock import utcnow
    from momentos.listening.analysis import encoder
    from momentos.listening.analysis.job import analyse_now
    from momentos.listening.analysis.progress import progress_bar
    from momentos.listening.analysis.service import mark_for_analysis
    from momentos.orgs.service import get_organization

    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    report: dict[str, int] = {}
    try:
        with unit_of_work(factory) as session:
            org_id = get_organization(session, org).id
            report["queued"] = mark_for_analysis(session, org_id)
        if now:
            encoder.configure(settings.analysis)
            with progress_bar(report["queued"], "analysing") as advance:
                report["analysed"] = analyse_now(factory, org_id, utcnow(), advance)
    except MomentosError as exc:
        raise _fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps(report))


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
    from momentos.listening.analysis.progress import progress_bar
    from momentos.listening.feedback.csv_import import count_rows, import_csv
    from momentos.orgs.service import get_organization

    if not source.strip() or len(source) > 64:
        raise _fail("--source must be 1 to 64 characters", 2)
    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session, \
                progress_bar(count_rows(file), "importing") as advance:
            report = import_csv(session, get_organization(session, org).id, file, source.strip(),
                                progress=advance)
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
