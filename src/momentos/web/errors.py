"""Errors on pages: HTML error pages instead of the API's JSON, and a redirect to sign-in."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from momentos.errors import MomentosError
from momentos.kit import i18n
from momentos.web.rendering import Pages
from momentos.web.session import LoginRequired

API_PREFIXES = ("/api/", "/v1/", "/static/")


def mark_page(request: Request) -> None:
    """Router dependency of every page: errors raised while serving it are shown as pages."""
    request.state.is_page = True


def wants_page(request: Request) -> bool:
    if getattr(request.state, "is_page", False):
        return True
    accepts_html = "text/html" in request.headers.get("accept", "")
    return request.method == "GET" and accepts_html and not request.url.path.startswith(API_PREFIXES)


def error_page(pages: Pages, request: Request, status: int) -> Response:
    return pages.render(request, "error.html", {"status": status}, viewer=None, status=status)


async def _call(handler: Callable[[Request, Any], Response | Awaitable[Response]], request: Request,
                exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install_error_pages(app: FastAPI, pages: Pages) -> None:
    """Wrap the app's JSON handlers: page requests get HTML, API requests keep the JSON error format."""
    json_domain = app.exception_handlers[MomentosError]
    json_http = app.exception_handlers[StarletteHTTPException]

    async def domain_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, MomentosError) and wants_page(request):
            return error_page(pages, request, exc.status)
        return await _call(json_domain, request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code in (404, 405) and wants_page(request):
            return error_page(pages, request, exc.status_code)
        return await _call(json_http, request, exc)

    async def login_required(request: Request, _: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        query = {"next": target}
        if lang := i18n.supported(request.query_params.get("lang")):
            query["lang"] = lang  # the sign-in page speaks the language the visitor asked for
        return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)

    app.add_exception_handler(MomentosError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
