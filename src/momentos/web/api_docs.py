"""``/docs``: the interactive API reference (Swagger UI), served from the package so it works offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    static = "/static/vendor/swagger-ui"
    return get_swagger_ui_html(openapi_url=request.app.openapi_url or "/openapi.json", title="Momentos API",
                               swagger_js_url=f"{static}/swagger-ui-bundle.js",
                               swagger_css_url=f"{static}/swagger-ui.css",
                               swagger_favicon_url="/static/favicon.svg")
