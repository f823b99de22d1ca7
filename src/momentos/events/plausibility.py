"""What every batch must pass before anything is stored: event and profile times inside the plausibility window
(``kit.event_time.TimeWindow``: by default not before 1900, not more than 7 days ahead of the server clock) and
no NUL character in any string (PostgreSQL refuses them; exports would write invalid XML).

The first offender rejects the whole batch with ``ValidationFailed`` naming it: ``{"index": i}`` for the i-th
event (the doors turn it into the index in their request, imports into the file's line), ``{"identify": i}``,
``{"alias": i}`` or ``{"group": i}`` for profile updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from momentos.errors import ValidationFailed
from momentos.events.schemas import Batch
from momentos.kit.clock import ensure_utc
from momentos.kit.event_time import TimeWindow
from momentos.kit.json_input import contains_nul


def check(batch: Batch, window: TimeWindow) -> None:
    _check_part(batch.events, "index", window)
    _check_part(batch.identifies, "identify", window)
    _check_part(batch.aliases, "alias", window)
    _check_part(batch.groups, "group", window)


def _check_part(items: Sequence[BaseModel], key: str, window: TimeWindow) -> None:
    for index, item in enumerate(items):
        when: datetime = ensure_utc(getattr(item, "timestamp"))  # noqa: B009 - every part has a timestamp
        problem = window.problem(when)
        if problem is not None:
            raise ValidationFailed(f"The timestamp {when.isoformat()} {problem}.", code="implausible_timestamp",
                                   detail={key: index, "timestamp": when.isoformat(), **window.detail()})
        if contains_nul(list(item.__dict__.values())):
            raise ValidationFailed("A text contains a NUL character (\\u0000), which is not accepted.",
                                   code="nul_character", detail={key: index})
