from tests.notify.conftest import inbox, notify_settings, worker_factory

__all__ = ["inbox", "notify_settings", "worker_factory"]
