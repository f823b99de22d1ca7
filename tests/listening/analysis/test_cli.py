"""``momentos feedback analyze``: scores a CSV offline; bad input names file, line and reason, writes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from momentos.cli import app
from momentos.listening.cli import register

register(app)

REVIEWS = Path(__file__).resolve().parents[2] / "data" / "listening_reviews.csv"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["feedback", "analyze", *map(str, args)])


def test_a_csv_is_scored_with_language_sentiment_score_and_theme(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = run(REVIEWS, "--out", out)
    assert result.exit_code == 0, result.output
    with REVIEWS.open(encoding="utf-8", newline="") as handle:
        source = list(csv.DictReader(handle))
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(source)
    assert list(rows[0]) == [*source[0], "language", "sentiment", "sentiment_score", "theme", "truncated", "skipped"]
    assert [r["id"] for r in rows] == [r["id"] for r in source]
    for row in rows:
        assert row["language"] == row["expected_language"]
        assert row["sentiment"] == row["expected_sentiment"], row["text"]
        assert -1.0 <= float(row["sentiment_score"]) <= 1.0 and row["theme"]
    assert len({r["theme"] for r in rows}) >= 2


def test_another_text_column_can_be_named(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('comentario,n\n"Un servicio pésimo, nunca más",1\n"¡Excelente, muchas gracias!",2\n',
                      encoding="utf-8")
    result = run(source, "--out", tmp_path / "out.csv", "--text-column", "comentario")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["sentiment"] for r in rows] == ["neg", "pos"]


@pytest.mark.parametrize(("content", "reason"), [
    (b"id,comment\n1,hola\n", "line 1: no column 'text'"),
    (b"id,text\n1,bien\n2,mal,extra\n", "line 3: 3 fields where the header has 2"),
    (b'id,text\n1,"bien\n2,sin cerrar\n', "malformed row"),
    (b"id,text\n1,\xff\xfe bad\n", "line 2: not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"", "empty file"),
])
def test_bad_input_names_file_line_and_reason_and_writes_nothing(tmp_path: Path, content: bytes, reason: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    result = run(source, "--out", out)
    assert result.exit_code == 1
    assert f"{source}" in result.output and reason in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.csv", "--out", tmp_path / "out.csv")
    assert result.exit_code == 1 and "cannot read the file" in result.output


def test_formula_cells_are_neutralised_in_the_scored_csv(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('text,n\n"=HYPERLINK(""http://evil.example"",""ok"") great service",-3\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert run(source, "--out", out).exit_code == 0
    with out.open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["text"] == "'=HYPERLINK(\"http://evil.example\",\"ok\") great service"
    assert row["n"] == "-3" and -1.0 <= float(row["sentiment_score"]) <= 1.0


LONG_REVIEW = ("The room was large but the street noise kept us awake all night and nobody at the desk cared. " * 110)


def test_a_file_with_one_long_review_is_analysed_whole(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["id", "text"], ["1", "Great stay, lovely staff"], ["2", LONG_REVIEW],
                          ["3", "Servicio pésimo"], ["4", "@marca https://t.co/x"]])
    out = tmp_path / "out.csv"
    result = run(source, "--out", out)
    assert result.exit_code == 0, result.output
    assert "4 rows scored" in result.output and "1 truncated" in result.output and "1 skipped" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["truncated"] for r in rows] == ["false", "true", "false", ""]
    assert rows[1]["text"] == LONG_REVIEW  # the row is written whole
    assert all(r["sentiment"] in ("neg", "neu", "pos") for r in rows[:3])
    assert rows[1]["sentiment"] == "neg" and rows[1]["language"] == "en"
    assert rows[3]["sentiment"] == "" and "empty" in rows[3]["skipped"]
