"""The promises' job of ``momentos worker``: ``promises.clock`` (``clock.run_job``: one batch of due instances)."""

from __future__ import annotations

from momentos.promises import clock
from momentos.worker.jobs import BatchJob

CLOCK = BatchJob("promises.clock", clock.run_job)
"""Moves due promise instances forward as time passes, with their notices (see ``clock``)."""
