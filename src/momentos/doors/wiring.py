"""What the doors take from the app's wiring (``app.state.wiring``, built by ``momentos.bootstrap`` in
``create_app``): the reactions every ingestion hands its stored events to."""

from __future__ import annotations

from fastapi import Request

from momentos.events.reactions import Reaction


def reactions(request: Request) -> tuple[Reaction, ...]:
    found: tuple[Reaction, ...] = request.app.state.wiring.reactions
    return found
