"""``momentos ops health --org SLUG [--json]``: the workers' liveness and the organization's own figures, as on the
page and in ``GET /api/v1/ops/health``. ``momentos ops workers [--json]``: the workers with their figures and errors
across every organization, for whoever runs them (the command line reaches the database, so it sees everything)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from momentos.orgs.cli import Org, add_group, org_session

if TYPE_CHECKING:
    from momentos.ops.schemas import Health, WorkerDetail

ops_app = typer.Typer(help="Operations: the health of the background work.", no_args_is_help=True)
WARNINGS = {
    "notifications_waiting": "notifications are queued but no worker is running: run `momentos worker`",
    "work_waiting": "background work (promise checks, text analysis, analytics) is waiting but no worker is "
                    "running: run `momentos worker`",
}


@ops_app.command("health")
def health_command(org: Org, as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Workers (alive, late, dead, stopped) and the organization's outbox, analytics, promise and feedback queues."""
    from momentos.kit.clock import utcnow
    from momentos.ops import health

    with org_session(org) as (session, org_id):
        report = health.check(session, org_id, utcnow())
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    for line in _lines(report):
        typer.echo(line)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f" (oldest {hours}h{minutes:02d}m)" if hours else f" (oldest {minutes}m{secs:02d}s)"


def _lines(report: Health) -> list[str]:
    lines = [f"workers alive: {report.workers_alive}"]
    for w in report.workers:
        lines.append(f"  {w.status:<7} {w.name}  pid {w.pid}  v{w.version}  last beat {w.seconds_since_beat:.0f}s ago"
                     f"  rounds {w.rounds}")
    outbox, deliveries = report.outbox, report.deliveries
    lines += [f"outbox: {outbox.pending} pending, {outbox.due.count} due{_age(outbox.due.age_seconds)}, "
              f"{outbox.dead} dead",
              f"deliveries (last {deliveries.window_hours}h): {deliveries.sent} sent, {deliveries.failed} failed "
              "attempts"]
    lines += [f"  {e.at.isoformat(timespec='seconds')}  notification {e.notification_id}  {e.channel}  {e.outcome}: "
              f"{e.error or e.reason or ''}" for e in deliveries.last_errors]
    lines += [f"analytics: {report.analytics.behind.count} events behind the watermark"
              f"{_age(report.analytics.behind.age_seconds)}",
              f"promise checks overdue: {report.promise_checks_overdue.count}"
              f"{_age(report.promise_checks_overdue.age_seconds)}",
              f"feedback awaiting analysis: {report.feedback_unanalyzed.count}"
              f"{_age(report.feedback_unanalyzed.age_seconds)}"]
    lines += [f"warning: {WARNINGS[w]}" for w in report.warnings]
    return lines


@ops_app.command("workers")
def workers_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every worker with its deliveries, failed attempts, last job runs and last error, across all organizations
    (for operators: an organization's page and key see liveness only)."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.kit.clock import utcnow
    from momentos.ops import health

    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            rows = health.workers_detail(session, utcnow())
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([w.model_dump(mode="json") for w in rows], indent=2))
        return
    for line in _worker_lines(rows):
        typer.echo(line)


def _worker_lines(rows: list[WorkerDetail]) -> list[str]:
    lines = [f"workers: {len(rows)}"]
    for w in rows:
        lines.append(f"  {w.status:<7} {w.name}  pid {w.pid}  v{w.version}  last beat {w.seconds_since_beat:.0f}s ago"
                     f"  rounds {w.rounds}  delivered {w.delivered}  failed {w.failed}")
        if w.last_error:
            at = w.last_error_at.isoformat(timespec="seconds") if w.last_error_at else ""
            lines.append(f"    last error {at}: {w.last_error}")
    return lines


def register(app: typer.Typer) -> None:
    """Add ``ops`` to ``app`` (once)."""
    add_group(app, ops_app, "ops")
