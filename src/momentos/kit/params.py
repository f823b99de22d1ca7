"""Validated request parameters shared by every route. Imports no domain package.

Ids and pagination cursors are BIGINT columns: a path or query integer beyond 64 bits would reach the database
and fail there (PostgreSQL ``bigint out of range``, SQLite ``OverflowError``): a 500 for bad input. ``BigInt``
bounds them to the column's range, so FastAPI answers 422 like for any other invalid parameter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator

from momentos.kit.event_time import query_time_problem

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1

BigInt = Annotated[int, Interval(ge=BIGINT_MIN, le=BIGINT_MAX)]
"""An integer that fits a BIGINT column: ids in paths, ``after``/``before`` cursors, ids in bodies."""


def _plausible(value: datetime) -> datetime:
    problem = query_time_problem(value)
    if problem is not None:
        raise ValueError(f"the date {problem}")
    return value


QueryTime = Annotated[datetime, AfterValidator(_plausible)]
"""A date-time that filters a read (``from``, ``to``, ``since``, ``before``): between 1900 and 2200
(``kit.event_time.QUERY_EARLIEST``/``QUERY_LATEST``), else 422; ``to=9999-12-31`` is bad input, not a 500."""
