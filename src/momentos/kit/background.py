"""Work started on a thread of its own, whose result is waited for later."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def in_background(fn: Callable[[], T], name: str) -> Future[T]:
    """Run ``fn`` on a new thread named after ``name``; the thread ends with it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return pool.submit(fn)
    finally:
        pool.shutdown(wait=False)
