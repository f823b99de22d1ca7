"""``momentos feedback analyze IN.csv --out OUT.csv``: score any CSV with a text column offline, adding
``language``, ``sentiment``, ``sentiment_score``, ``theme``, ``truncated`` and ``skipped`` columns. A file that is
not a readable CSV stops with the file, line and reason; a row is never fatal: a long text is analysed from its
beginning (``truncated`` = ``true``), an empty or binary one is left unscored with the reason in ``skipped``. The
output file is written whole (temporary file, then renamed) or not at all; a progress bar runs on stderr."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from momentos.kit.csv_cells import neutralized
from momentos.listening.analysis.text import clean

ADDED = ("language", "sentiment", "sentiment_score", "theme", "truncated", "skipped")
MAX_FIELD = 50_000_000
"""Longest cell the CSV reader accepts (a long text is analysed from its beginning, never refused)."""


class InputError(Exception):
    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass
class Table:
    header: list[str]
    rows: list[dict[str, str]]
    texts: list[str]
    skipped: dict[int, str]
    """Row index → why its text cannot be analysed (empty once handles and links are removed, binary)."""


def register(feedback_group: typer.Typer) -> None:
    """Add ``analyze`` to the ``feedback`` command group (once)."""
    if any(command.name == "analyze" for command in feedback_group.registered_commands):
        return
    feedback_group.command("analyze", no_args_is_help=True)(analyze_command)


def analyze_command(
    source: Annotated[Path, typer.Argument(help="CSV file (UTF-8, with a header row).", dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scored CSV.", dir_okay=False)],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    themes_k: Annotated[int | None, typer.Option("--themes", help="Number of themes (default: chosen).")] = None,
) -> None:
    """Score a CSV offline: language (es/en/und), sentiment (neg/neu/pos), sentiment_score (-1..1), theme and
    truncated (only the first 512 tokens of a longer text are read)."""
    from momentos.config import Settings
    from momentos.listening.analysis import encoder

    try:
        table = read_rows(source, text_column)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    encoder.configure(Settings().analysis)
    scored = score(table, themes_k)
    columns = [*table.header, *(c for c in ADDED if c not in table.header)]
    write_atomically(out, columns, scored)
    truncated = sum(1 for row in scored if row["truncated"] == "true")
    typer.echo(f"{len(scored)} rows scored → {out} ({truncated} truncated: only their first "
               f"{encoder.current().max_tokens} tokens were read; {len(table.skipped)} skipped)")


def score(table: Table, themes_k: int | None) -> list[dict[str, str]]:
    """The rows with the added columns (skipped rows keep them empty, with the reason)."""
    from momentos.listening.analysis import analyze, themes
    from momentos.listening.analysis.progress import progress_bar

    keep = [i for i in range(len(table.rows)) if i not in table.skipped]
    with progress_bar(len(keep), "analysing") as advance:
        results = analyze([table.texts[i] for i in keep], progress=advance)
    theme_of = [""] * len(keep)
    if keep:
        import numpy as np

        for theme in themes([table.texts[i] for i in keep], np.vstack([r.embedding for r in results]), k=themes_k):
            for i in theme.members:
                theme_of[i] = theme_of[i] or theme.label
    out = [{**row, "language": "", "sentiment": "", "sentiment_score": "", "theme": "", "truncated": "",
            "skipped": table.skipped.get(i, "")} for i, row in enumerate(table.rows)]
    for position, (i, r) in enumerate(zip(keep, results, strict=True)):
        out[i].update(language=r.language, sentiment=r.sentiment, sentiment_score=f"{r.score:.3f}",
                      theme=theme_of[position], truncated="true" if r.truncated else "false")
    return out


def _decoded(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read the file ({exc.strerror})") from exc
    if b"\x00" in raw[:65536]:
        raise InputError(path, None, "binary file (NUL bytes), expected a UTF-8 CSV")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(path, line, "not UTF-8 text") from exc
    if not content.strip():
        raise InputError(path, None, "empty file")
    return content


def read_rows(path: Path, text_column: str) -> Table:
    """Header, rows, texts and the rows whose text cannot be analysed; InputError names the line and the reason
    when the file itself is not a readable CSV."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(_decoded(path).splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(path, 1, f"malformed header ({exc})") from exc
    if text_column not in header:
        raise InputError(path, 1, f"no column {text_column!r} (columns: {', '.join(header)})")
    position = header.index(text_column)
    table = Table(header, [], [], {})
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, reader.line_num, f"malformed row ({exc})") from exc
        if not record:
            continue
        if len(record) != len(header):
            raise InputError(path, reader.line_num, f"{len(record)} fields where the header has {len(header)}")
        try:
            clean(record[position])
        except ValueError as exc:
            table.skipped[len(table.rows)] = str(exc)
        table.rows.append(dict(zip(header, record, strict=True)))
        table.texts.append(record[position])
    return table


def write_atomically(out: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows({key: neutralized(value) for key, value in row.items()} for row in rows)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
