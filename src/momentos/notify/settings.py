"""Delivery settings: ``NotifySettings`` is the ``notify`` section of ``momentos.config.Settings``
(``settings.notify``), built with the app's settings, never at import."""

from __future__ import annotations

from momentos.config import NotifySettings

__all__ = ["NotifySettings"]
