"""``momentos import FILE --org SLUG``: load a CSV or XES event log into an organization, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from momentos.config import Settings
    from momentos.events.reactions import Reaction
    from momentos.imports.service import ImportReport
    from momentos.imports.service import Progress as ProgressCallback


class FormatName(StrEnum):
    csv = "csv"
    xes = "xes"


class LifecycleName(StrEnum):
    all = "all"
    complete = "complete"


FORMATS: dict[FormatName, Literal["csv", "xes"]] = {FormatName.csv: "csv", FormatName.xes: "xes"}
LIFECYCLES: dict[LifecycleName, Literal["all", "complete"]] = {LifecycleName.all: "all",
                                                              LifecycleName.complete: "complete"}


ReactionsOf = Callable[["Settings"], Sequence["Reaction"]]
"""What the entry point hands the command: the reactions to stored events for the settings in force
(``bootstrap(settings).reactions``)."""


def register(app: typer.Typer, reactions_of: ReactionsOf) -> None:
    """Add the ``import`` command to ``app`` (once); ``reactions_of`` reaches it through the command's context."""
    if any(command.name == "import" for command in app.registered_commands):
        return
    app.command("import", no_args_is_help=True, context_settings={"obj": reactions_of})(import_command)


def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv, .xes or .xes.gz event log.", exists=True, dir_okay=False,
                                         readable=True)],
    org: Annotated[str, typer.Option("--org", help="Slug of the organization to import into.")],
    file_format: Annotated[FormatName | None, typer.Option("--format", help="Default: from the extension.")] = None,
    service: Annotated[str | None, typer.Option(help="Service key: each case becomes a process of it.")] = None,
    case_column: Annotated[str | None, typer.Option(help="Column (CSV) or trace attribute (XES) with the case "
                                                         "id; default: detected / concept:name.")] = None,
    activity_column: Annotated[str | None, typer.Option(help="Column or event attribute with the activity; "
                                                             "default: detected / concept:name.")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Column or event attribute with the time; "
                                                              "default: detected / time:timestamp.")] = None,
    timestamp_format: Annotated[str | None, typer.Option(help="strptime format, e.g. '%Y/%m/%d %H:%M:%S.%f'; "
                                                              "default: ISO 8601.")] = None,
    customer_column: Annotated[str | None, typer.Option(help="Column/attribute with the customer id; default: "
                                                             "a 'customer' column, else the case id.")] = None,
    channel_column: Annotated[str | None, typer.Option(help="Column/attribute with the channel; default: "
                                                            "'channel' or 'case:channel'.")] = None,
    moment_column: Annotated[str | None, typer.Option(help="Column/attribute with the moment key.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter; default: detected.")] = None,
    encoding: Annotated[str, typer.Option(help="CSV text encoding, e.g. latin-1.")] = "utf-8",
    timezone: Annotated[str, typer.Option(help="IANA time zone of timestamps without an offset.")] = "UTC",
    lifecycle: Annotated[LifecycleName, typer.Option(help="Keep all events, or only 'complete' ones.")]
    = LifecycleName.all,
    chunk_size: Annotated[int, typer.Option(min=1, max=10_000, help="Events per ingestion chunk.")] = 5000,
    bulk: Annotated[bool, typer.Option("--bulk/--no-bulk", help="Let a first import of an XES log of new cases "
                                                               "take the bulk road (read whole, written at once); "
                                                               "--no-bulk streams it in constant memory.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
) -> None:
    """Import an event log (CSV or XES/IEEE 1849) into an organization: all or nothing, re-import adds nothing."""
    from sqlalchemy.exc import DBAPIError

    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import MomentosError
    from momentos.imports.history import Actor, run_import
    from momentos.imports.readers import ImportOptions
    from momentos.orgs.service import get_organization

    options = ImportOptions(
        format=None if file_format is None else FORMATS[file_format], service=service, case_column=case_column,
        activity_column=activity_column, timestamp_column=timestamp_column, timestamp_format=timestamp_format,
        customer_column=customer_column, channel_column=channel_column, moment_column=moment_column,
        delimiter=delimiter, encoding=encoding, timezone=timezone, lifecycle=LIFECYCLES[lifecycle],
        chunk_size=chunk_size, bulk=bulk)
    settings = Settings()
    reactions_of: ReactionsOf = ctx.obj
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine, settings.secret_key)
    try:
        with unit_of_work(factory) as session:
            org_id = get_organization(session, org).id
        with _progress_bar(file, progress) as update:  # recorded in the import history, ok or failed
            outcome = run_import(factory, org_id, file, options, Actor.command_line(), reactions=reactions_of(settings),
                                 progress=update)
    except MomentosError as exc:
        raise _fail(exc.message, 2) from exc
    except DBAPIError as exc:
        raise _fail(f"database error: {exc.orig} (is the database migrated? run 'momentos db upgrade')", 1) from exc
    finally:
        engine.dispose()
    if outcome.error is not None:
        raise _fail(outcome.error.message, 2)
    assert outcome.report is not None
    _print_summary(outcome.report)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _progress_bar(file: Path, enabled: bool) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr over the bytes of the file (shown only on a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=console, transient=True, disable=not (enabled and console.is_terminal))
    with bar:
        task = bar.add_task(f"importing {file.name}", total=file.stat().st_size)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_summary(report: ImportReport) -> None:
    """The report as JSON on stdout; a one-line summary (and the note, if any) on stderr."""
    typer.echo(report.model_dump_json(indent=2))
    typer.echo(f"imported {report.accepted} of {report.events_read} events ({report.duplicates} already there) "
               f"from {report.cases} cases in {report.seconds:.1f} s", err=True)
    if report.note:
        typer.echo(f"note: {report.note}", err=True)
