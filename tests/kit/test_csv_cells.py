"""The CSV cell rule: formula triggers get an apostrophe, plain numbers and other text do not; the vectorised form
agrees with the scalar one."""

from __future__ import annotations

import polars as pl
import pytest

from momentos.kit.csv_cells import neutralized, neutralized_frame

CASES = [
    ('=HYPERLINK("x")', "'=HYPERLINK(\"x\")"), ("+SUM(A1)", "'+SUM(A1)"), ("-1+1", "'-1+1"), ("@cmd", "'@cmd"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\uff20cmd", "'\uff20cmd"), ("-", "'-"),
    ("-12", "-12"), ("+3.5", "+3.5"), ("-1e-3", "-1e-3"), ("-.5", "-.5"), ("12", "12"),
    ("plain", "plain"), ("", ""), ("a=b", "a=b"), (" =1", " =1"),
]


@pytest.mark.parametrize(("value", "cell"), CASES)
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_evaluate_it(value: str, cell: str) -> None:
    assert neutralized(value) == cell


def test_the_frame_form_agrees_and_leaves_other_types_alone() -> None:
    frame = pl.DataFrame({"text": [v for v, _ in CASES] + [None], "n": list(range(-len(CASES), 1))})
    out = neutralized_frame(frame)
    assert out["text"].to_list() == [c for _, c in CASES] + [None]
    assert out["n"].to_list() == frame["n"].to_list()
