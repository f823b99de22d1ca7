"""``momentos analytics {dfg,performance-dfg,start-end,variants,funnel,time-in-moment,indicators,conformance}`` and
``momentos export``: the same services and JSON shapes as the API, over a database from the settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from momentos.analytics.schemas import AnalyticsQuery
from momentos.orgs.cli import Org, add_group, org_session

if TYPE_CHECKING:
    from momentos.analytics.export import ExportFormat

analytics_app = typer.Typer(help="Indicators per moment and process-mining views of an organization's log.",
                            no_args_is_help=True)


class ByName(StrEnum):
    activity = "activity"
    moment = "moment"


class ViewName(StrEnum):
    model = "model"
    canonical = "canonical"


class FormatName(StrEnum):
    xes = "xes"
    csv = "csv"
    parquet = "parquet"


By = Annotated[ByName, typer.Option("--by", help="Steps are activities (every event) or moments (every stay).")]
View = Annotated[ViewName, typer.Option("--view", help="Moments of the service's model, or the 8 contact moments.")]
ServiceOpt = Annotated[str | None, typer.Option("--service", help="Service key.")]
Channel = Annotated[str | None, typer.Option("--channel", help="Only events on this channel.")]
Start = Annotated[datetime | None, typer.Option("--from", help="Period start (inclusive), ISO 8601, UTC if naive.")]
End = Annotated[datetime | None, typer.Option("--to", help="Period end (exclusive), ISO 8601, UTC if naive.")]
SegmentOpt = Annotated[str | None, typer.Option("--segment", help="Only the customers of this segment (its key).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")]


def register(app: typer.Typer) -> None:
    """Add ``analytics`` and ``export`` to ``app`` (once)."""
    if not add_group(app, analytics_app, "analytics"):
        return
    app.command("export", no_args_is_help=True)(export_command)


def _run(org: str, q: AnalyticsQuery, as_json: bool, compute: Callable[[Session, int, AnalyticsQuery], Any]) -> None:
    with org_session(org) as (session, org_id):
        result = compute(session, org_id, q)
    data = TypeAdapter(Any).dump_python(result, mode="json")
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        typer.echo("  ".join(f"{k}={_short(v)}" for k, v in row.items()))


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " → ".join(value)
    return str(value)


def query_of(service: str | None, channel: str | None, start: datetime | None, end: datetime | None,
           by: ByName = ByName.activity, view: ViewName = ViewName.model, segment: str | None = None) -> AnalyticsQuery:
    from momentos.kit.clock import ensure_utc

    return AnalyticsQuery(service=service, channel=channel, start=ensure_utc(start) if start else None,
                          end=ensure_utc(end) if end else None, segment=segment, by=by.value, view=view.value)


def _command(name: str, compute_name: str, help_text: str) -> None:
    def command(org: Org, by: By = ByName.activity, service: ServiceOpt = None, channel: Channel = None,
                start: Start = None, end: End = None, segment: SegmentOpt = None, view: View = ViewName.model,
                as_json: AsJson = False) -> None:
        from momentos.analytics import service as analytics

        _run(org, query_of(service, channel, start, end, by, view, segment), as_json,
             getattr(analytics, compute_name))

    command.__doc__ = help_text
    analytics_app.command(name)(command)


for _name, _fn, _help in (
        ("dfg", "dfg", "Directly-follows graph with frequencies."),
        ("performance-dfg", "performance_dfg", "Directly-follows graph with mean and median seconds."),
        ("start-end", "start_end", "Start and end activities (or moments) with their case counts."),
        ("variants", "variants", "Path variants with count and share."),
        ("funnel", "funnel", "Funnel across moments: reached, then moved on / still here / dropped."),
        ("time-in-moment", "time_in_moment", "Time in each moment: median, p90, mean (seconds)."),
        ("indicators", "moment_indicators", "All indicators per moment (funnel, time, channel mix, contacts)."),
):
    _command(_name, _fn, _help)


@analytics_app.command("conformance")
def conformance_command(org: Org, service: Annotated[str, typer.Option("--service", help="Service key.")],
                        as_json: AsJson = False) -> None:
    """Conformance to the service's designed journey: rate per moment, deviations per kind and moment."""
    from momentos.analytics import service as analytics

    with org_session(org) as (session, org_id):
        result = analytics.conformance(session, org_id, service)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(f"service={result.service}  processes={result.processes}  conforming={result.conforming}  "
               f"rate={_short(result.rate)}")
    for m in result.moments:
        typer.echo(f"  {m.moment}  processes={m.processes}  conforming={m.conforming}  rate={_short(m.rate)}")
    for d in result.deviations:
        typer.echo(f"  {d.kind}  moment={d.moment}  channel={d.channel}  processes={d.processes}  "
                   f"deviations={d.deviations}")


def export_command(
    org: Org,
    out: Annotated[Path, typer.Option("--out", help="File to write (.gz for gzip XES or CSV).", dir_okay=False)],
    file_format: Annotated[FormatName | None, typer.Option("--format", help="Default: from the extension.")] = None,
    service: ServiceOpt = None, channel: Channel = None, start: Start = None, end: End = None,
    segment: SegmentOpt = None,
) -> None:
    """Export the organization's event log (XES, CSV or Parquet) in pm4py's column convention."""
    from momentos.analytics.export import export_log
    from momentos.analytics.log import LogFilter

    fmt = _FORMATS[file_format.value] if file_format else _format_of(out)
    q = query_of(service, channel, start, end, segment=segment)
    flt = LogFilter(service=q.service, channel=q.channel, start=q.start, end=q.end, segment=q.segment)
    with org_session(org) as (session, org_id):
        count = export_log(session, org_id, out, fmt, flt)
    typer.echo(f"wrote {count} events to {out}", err=True)


_FORMATS: dict[str, ExportFormat] = {"xes": "xes", "csv": "csv", "parquet": "parquet"}


def _format_of(out: Path) -> ExportFormat:
    suffixes = [s.lower().lstrip(".") for s in out.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _FORMATS:
        return _FORMATS[suffixes[-1]]
    typer.echo("error: cannot tell the format from the file name; pass --format xes, csv or parquet", err=True)
    raise typer.Exit(2)
