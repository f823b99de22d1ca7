"""The listening routes: one router per subpackage (surveys, feedback, needs, warning), listed for ``app.py``."""

from __future__ import annotations

from momentos.listening.feedback.api import router as feedback_router
from momentos.listening.needs.api import router as needs_router
from momentos.listening.surveys.api import router as surveys_router
from momentos.listening.warning.api import router as warning_router

ROUTERS = (surveys_router, feedback_router, needs_router, warning_router)
