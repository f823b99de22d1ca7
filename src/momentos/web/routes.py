"""The pages' set-up (session cookie, static files, templates, error pages) and their router."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from momentos.config import Settings
from momentos.dashboard.cache import ViewCache
from momentos.web import (
    alert_pages,
    api_docs,
    audit_pages,
    catalog_pages,
    config_catalog,
    config_contact_rules,
    config_listening,
    config_messages,
    config_pages,
    config_promises,
    config_segments,
    config_survey_items,
    conformance_pages,
    customer_pages,
    dashboard_pages,
    decision_pages,
    indicator_pages,
    link_pages,
    listening_pages,
    login,
    mailbox_pages,
    map_pages,
    ops_pages,
    settings_pages,
    status_page,
    survey_page,
)
from momentos.web.errors import install_error_pages, mark_page
from momentos.web.proxies import install_proxy_headers
from momentos.web.rendering import STATIC_DIR, Pages
from momentos.web.session import install_sessions


def set_up(app: FastAPI) -> None:
    """What the pages need besides their routes: templates, the view cache, the session cookie, forwarded headers
    from trusted proxies only, error pages and static files."""
    settings = app.state.settings
    assert isinstance(settings, Settings)
    pages = Pages(settings)
    app.state.pages = pages
    app.state.view_cache = ViewCache()
    install_sessions(app, settings)
    install_proxy_headers(app, settings)
    install_error_pages(app, pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api_docs.router)


def pages_router() -> APIRouter:
    """Every page of the dashboard, the status page and the survey page, under one router."""
    router = APIRouter(dependencies=[Depends(mark_page)], include_in_schema=False)
    # decision_pages before customer_pages: /customers/{id}/contact-decisions before /customers/{id}
    for module in (login, dashboard_pages, alert_pages, map_pages, conformance_pages, catalog_pages, indicator_pages,
                   decision_pages,
                   customer_pages, link_pages, config_pages, config_catalog, config_contact_rules, config_promises,
                   config_messages, config_survey_items, config_segments, config_listening, listening_pages,
                   mailbox_pages, ops_pages,
                   settings_pages, audit_pages, status_page, survey_page):
        router.include_router(module.router)
    return router
