"""Notification templates per purpose and language (``templates/<name>.<lang>.txt``; first line = subject)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from momentos.errors import NotFound
from momentos.kit.i18n import LANGUAGES

TEMPLATES: tuple[str, ...] = ("status", "message", "survey", "listening_alert")


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("momentos.notify", "templates"), autoescape=False,  # noqa: S701 - text
                       undefined=StrictUndefined, keep_trailing_newline=True, auto_reload=False)


def render(name: str, lang: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of a template in a language (es/en)."""
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    try:
        template = environment().get_template(f"{name}.{lang}.txt")
    except TemplateNotFound as exc:
        raise NotFound(f"Template '{name}' not found.", code="template_not_found", detail={"name": name}) from exc
    text = template.render(**params)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"
