"""create_app(settings): routers, pages, error handlers; the engine is opened in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from momentos.bootstrap import bootstrap
from momentos.config import Settings
from momentos.db import make_engine, make_session_factory
from momentos.errors import MomentosError, Throttled

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
            app.state.session_factory = make_session_factory(app.state.engine)
        yield
        if owns_engine:
            app.state.engine.dispose()

    app = FastAPI(title="Momentos", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.wiring = bootstrap(settings)
    _install_error_handlers(app)

    from momentos.analytics import api as analytics_api
    from momentos.catalog.api import router as catalog_router
    from momentos.customers.api import router as customers_router
    from momentos.doors.cloudevents import api as cloudevents_api
    from momentos.doors.native.api import router as native_router
    from momentos.doors.segment import api as segment_api
    from momentos.events.api import router as events_router
    from momentos.listening import api as listening_api
    from momentos.notify import api as notify_api
    from momentos.ops import api as ops_api
    from momentos.policy import api as policy_api
    from momentos.privacy.api import router as privacy_router
    from momentos.processes.api import router as processes_router
    from momentos.promises import api as promises_api
    from momentos.segments import api as segments_api
    from momentos.web import routes as web_routes
    from momentos.web import status_page, survey_page

    for router in (catalog_router, customers_router, privacy_router, native_router, events_router, processes_router):
        app.include_router(router)
    for module in (segment_api, cloudevents_api, analytics_api, policy_api, notify_api, promises_api, listening_api,
                   ops_api, segments_api, status_page, survey_page, web_routes):
        module.install(app)
    return app

