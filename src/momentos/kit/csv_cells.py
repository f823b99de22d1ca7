"""Cells of exported CSV files that a spreadsheet would run as formulas, made inert (CSV injection, OWASP).

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab or a carriage return is
written with a leading apostrophe, which spreadsheets show as text and do not evaluate: ``=HYPERLINK(…)`` becomes
``'=HYPERLINK(…)``. A cell that is a plain number (``-12``, ``+3.5``, ``-1e-3``) is left as it is, so numeric
columns stay numeric: a number cannot call a function or reach another cell. Only CSV files are treated; JSON, XES
and Parquet exports keep every value as stored.
"""

from __future__ import annotations

import re

import polars as pl

TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
"""First characters that make a spreadsheet read a cell as a formula."""
_FORMULA = re.compile(f"^[{re.escape(TRIGGERS)}]")
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMBER_RE = re.compile(_NUMBER)
_FORMULA_PATTERN = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in TRIGGERS) + "]"


def neutralized(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet will not evaluate."""
    if _FORMULA.match(value) and not _NUMBER_RE.match(value):
        return "'" + value
    return value


def neutralized_column(column: pl.Expr) -> pl.Expr:
    """:func:`neutralized` for a column of text, vectorised."""
    risky = column.str.contains(_FORMULA_PATTERN) & ~column.str.contains(_NUMBER)
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column)


def neutralized_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``frame`` neutralized (other types cannot hold a formula)."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(neutralized_column(pl.col(name)).alias(name) for name in text) if text else frame
