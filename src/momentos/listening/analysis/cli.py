"""``momentos feedback analyze IN.csv --out OUT.csv``: score any CSV with a text column offline, adding
``language``, ``sentiment``, ``sentiment_score`` and ``theme`` columns. Bad input stops with the file, line and
reason; the output file is written whole (temporary file, then renamed) or not at all."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from momentos.kit.csv_cells import neutralized
from momentos.listening.analysis.text import MAX_CHARS, clean

ADDED = ("language", "sentiment", "sentiment_score", "theme")
MAX_FIELD = 4 * MAX_CHARS


class InputError(Exception):
    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


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
    """Score a CSV offline: language (es/en/und), sentiment (neg/neu/pos), sentiment_score (-1..1) and theme."""
    try:
        header, rows, texts = read_rows(source, text_column)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    from momentos.listening.analysis import analyze, themes

    results = analyze(texts)
    theme_of = [""] * len(texts)
    if texts:
        import numpy as np

        for theme in themes(texts, np.vstack([r.embedding for r in results]), k=themes_k):
            for i in theme.members:
                theme_of[i] = theme_of[i] or theme.label
    columns = [*header, *(c for c in ADDED if c not in header)]
    write_atomically(out, columns, [
        {**row, "language": r.language, "sentiment": r.sentiment, "sentiment_score": f"{r.score:.3f}",
         "theme": theme_of[i]}
        for i, (row, r) in enumerate(zip(rows, results, strict=True))])
    typer.echo(f"{len(rows)} rows scored → {out}")


def read_rows(path: Path, text_column: str) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """Header, rows and cleaned-checked texts; InputError names the line and the reason."""
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
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(content.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(path, 1, f"malformed header ({exc})") from exc
    if text_column not in header:
        raise InputError(path, 1, f"no column {text_column!r} (columns: {', '.join(header)})")
    position = header.index(text_column)
    rows: list[dict[str, str]] = []
    texts: list[str] = []
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
            raise InputError(path, reader.line_num, str(exc)) from exc
        rows.append(dict(zip(header, record, strict=True)))
        texts.append(record[position])
    return header, rows, texts


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
