"""The listening routes: one router per subpackage (surveys, feedback, needs, warning), installed together."""

from __future__ import annotations

from fastapi import FastAPI

from momentos.listening.feedback.api import router as feedback_router
from momentos.listening.needs.api import router as needs_router
from momentos.listening.surveys.api import router as surveys_router
from momentos.listening.warning.api import router as warning_router

ROUTERS = (surveys_router, feedback_router, needs_router, warning_router)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
