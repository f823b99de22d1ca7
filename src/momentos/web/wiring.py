"""The app's wiring (``bootstrap.Wiring``), as the pages read it from the request."""

from __future__ import annotations

from fastapi import Request

from momentos.bootstrap import Wiring


def wiring_of(request: Request) -> Wiring:
    wiring = request.app.state.wiring
    assert isinstance(wiring, Wiring)
    return wiring
