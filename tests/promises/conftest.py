from tests.notify.conftest import hooks, inbox, notify_settings, worker_factory
from tests.web.conftest import artifacts, browser_context, chromium, page

__all__ = ["artifacts", "browser_context", "chromium", "hooks", "inbox", "notify_settings", "page", "worker_factory"]
