"""``/docs`` works offline: Swagger UI comes from the package, and the page lists the API's operations."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route

from tests.conftest import LiveServer


def test_the_api_reference_renders_without_leaving_the_server(live_server: LiveServer, page: Page) -> None:
    here = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc != here:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20
    assert page.get_by_text("/api/v1/customers").count() > 0
    assert outside == []
