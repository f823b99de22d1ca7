"""``momentos report``: the offline HTML report of the indicators per moment (the web layer renders it)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from momentos.analytics.cli import Channel, End, SegmentOpt, ServiceOpt, Start, query_of
from momentos.orgs.cli import Org, org_session
from momentos.web.report import write_report


def register(app: typer.Typer) -> None:
    app.command("report", no_args_is_help=True)(report_command)


class LangName(StrEnum):
    es = "es"
    en = "en"


def report_command(
    org: Org,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.", dir_okay=False)],
    service: ServiceOpt = None, channel: Channel = None, start: Start = None, end: End = None,
    segment: SegmentOpt = None,
    lang: Annotated[LangName, typer.Option("--lang", help="Language of the report.")] = LangName.es,
) -> None:
    """Write a self-contained HTML report (inline charts, works offline) of the indicators per moment."""
    with org_session(org) as (session, org_id):
        write_report(session, org_id, query_of(service, channel, start, end, segment=segment), lang.value, out)
    typer.echo(f"wrote {out}", err=True)
