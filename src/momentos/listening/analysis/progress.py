"""Progress bars of the long listening commands (``feedback analyze``, ``feedback import``, ``feedback reanalyze
--now``): rich's bar on stderr, only when stderr is a terminal, so what a command prints on stdout (JSON, a
summary) is never mixed with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

Advance = Callable[[int], None]


def console() -> Console:
    """The console bars draw on (a seam: tests force a terminal here)."""
    return Console(stderr=True)


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Advance]:
    """A callable advancing the bar by n items; does nothing when stderr is not a terminal or nothing is to do."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    target = console()
    if total <= 0 or not target.is_terminal:
        yield lambda _n: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=target, transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
