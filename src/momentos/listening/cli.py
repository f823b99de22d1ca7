"""``momentos feedback …``: the listening commands, assembled from ``analysis.cli`` (``analyze``),
``feedback.cli`` (``import``, ``reanalyze``) and ``warning.cli`` (``warnings``)."""

from __future__ import annotations

import typer

from momentos.orgs.cli import add_group

feedback_app = typer.Typer(help="Customer feedback: import and offline text analysis.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``feedback`` group to the main CLI (once) with its commands."""
    from momentos.listening.analysis import cli as analysis_cli
    from momentos.listening.feedback import cli as import_cli
    from momentos.listening.warning import cli as warning_cli

    analysis_cli.register(feedback_app)
    import_cli.register(feedback_app)
    warning_cli.register(feedback_app)
    add_group(app, feedback_app, "feedback")
