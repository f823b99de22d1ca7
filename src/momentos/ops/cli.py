"""``momentos ops health --org SLUG [--json]``: the workers and the organization's queues, as on the page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from momentos.orgs.cli import org_session

if TYPE_CHECKING:
    from momentos.ops.schemas import Health

ops_app = typer.Typer(help="Operations: the health of the background work.", no_args_is_help=True)
Org = Annotated[str, typer.Option("--org", help="Slug of the organization.")]
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
                     f"  rounds {w.rounds}  delivered {w.delivered}  failed {w.failed}")
    outbox = report.outbox
    lines += [f"outbox: {outbox.pending} pending, {outbox.due.count} due{_age(outbox.due.age_seconds)}, "
              f"{outbox.dead} dead",
              f"analytics: {report.analytics.behind.count} events behind the watermark"
              f"{_age(report.analytics.behind.age_seconds)}",
              f"promise checks overdue: {report.promise_checks_overdue.count}"
              f"{_age(report.promise_checks_overdue.age_seconds)}",
              f"feedback awaiting analysis: {report.feedback_unanalyzed.count}"
              f"{_age(report.feedback_unanalyzed.age_seconds)}"]
    lines += [f"warning: {WARNINGS[w]}" for w in report.warnings]
    return lines


def register(app: typer.Typer) -> None:
    """Add ``ops`` to ``app`` (once)."""
    if any(group.name == "ops" for group in app.registered_groups):
        return
    app.add_typer(ops_app, name="ops")
