"""create_app(settings): routers, pages, error handlers; the engine is opened in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from momentos.bootstrap import bootstrap
from momentos.config import Settings
from momentos.db import make_engine, make_read_session_factory, make_session_factory
from momentos.doors.body import OWN_READERS
from momentos.errors import MomentosError, Throttled
from momentos.kit.request_guard import RequestGuard

log = logging.getLogger("momentos")


def _error(status: int, code: str, message: str, detail: Any = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MomentosError)
    async def domain_error(_: Request, exc: MomentosError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return _error(exc.status, exc.code, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return _error(422, "validation_error", "The input is not valid.", detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", "Internal error.")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_engine = not hasattr(app.state, "engine")
        if owns_engine:
            app.state.engine = make_engine(settings.effective_database_url, echo=settings.sql_echo)
            app.state.session_factory = make_session_factory(app.state.engine, settings.secret_key)
        if owns_engine or not hasattr(app.state, "read_session_factory"):
            # requests that only read (GET, HEAD, routes marked ``auth.deps.reads``) never take the write lock
            app.state.read_session_factory = make_read_session_factory(app.state.engine, settings.secret_key)
        yield
        if owns_engine:
            app.state.engine.dispose()

    app = FastAPI(title="Momentos", version="0.1.0", lifespan=lifespan, docs_url=None)
    app.state.settings = settings
    app.state.wiring = bootstrap(settings)
    _install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.ingest.max_decompressed_bytes, own_readers=OWN_READERS)

    from momentos.web import routes as web_routes

    web_routes.set_up(app)
    for router in _routers():
        app.include_router(router)
    return app


def _routers() -> list[APIRouter]:
    """Every router of the app, installed one way (``app.include_router``): the API of each domain, the ingestion
    doors, then the pages."""
    from momentos.analytics.api import router as analytics
    from momentos.auth.keys_api import router as keys
    from momentos.catalog.api import router as catalog
    from momentos.customers.api import router as customers
    from momentos.doors.cloudevents.api import router as cloudevents
    from momentos.doors.native.api import router as native
    from momentos.doors.segment.api import router as segment
    from momentos.events.api import router as events
    from momentos.listening.api import ROUTERS as listening
    from momentos.notify.api import router as notify
    from momentos.notify.templates_api import router as notify_templates
    from momentos.ops.api import router as ops
    from momentos.ops.audit_api import router as audit
    from momentos.policy.api import router as policy
    from momentos.privacy.api import router as privacy
    from momentos.processes.api import router as processes
    from momentos.promises.api import router as promises
    from momentos.segments.api import router as segments
    from momentos.web.routes import pages_router

    return [catalog, customers, privacy, native, events, processes, segment, cloudevents, analytics, policy, notify,
            notify_templates, promises, *listening, ops, audit, segments, keys, pages_router()]
