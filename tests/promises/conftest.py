from tests.notify.conftest import hooks, inbox, notify_settings, worker_factory

__all__ = ["hooks", "inbox", "notify_settings", "worker_factory"]
