"""The Jinja2 environment (autoescaped, translated per request) and the rendering of one page."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from momentos.audit.service import Actor
from momentos.config import Settings
from momentos.dashboard.cache import ViewCache
from momentos.kit import i18n
from momentos.policy.messages import explain
from momentos.users.roles import Permission, allows
from momentos.users.service import OrgChoice
from momentos.web.labels import message_id

STATIC_DIR = Path(__file__).resolve().parent / "static"
LANG_COOKIE = "momentos_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
"""Each language is offered in its own name, whatever the page language."""

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "Cookie, Accept-Language",
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the page: the organization acted in, its time zone, the form token and the role.

    ``email`` is None for a session opened with the organization's admin key (which acts as its owner); ``orgs``
    lists the organizations a user may switch to. Templates hide what the role may not do with ``viewer.can(...)``.
    """

    org_id: int
    org_slug: str
    org_name: str
    timezone: str
    csrf: str
    role: str = "owner"
    email: str | None = None
    orgs: tuple[OrgChoice, ...] = ()

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def actor(self) -> Actor:
        """Who this viewer is in the audit log: the signed-in person, or the admin key a session was opened with."""
        return Actor.user(self.email) if self.email else Actor.key(None, "admin key (pages)")


def _lang(ctx: Context) -> str:
    lang = ctx.resolve("lang")
    assert isinstance(lang, str)
    return lang


@pass_context
def _gettext(ctx: Context, message: str, /, **variables: Any) -> Markup:
    # Like Jinja's "newstyle" gettext (always %-formatted), but translations are text: both they and the
    # variables are escaped.
    return escape(i18n.gettext(_lang(ctx), message)) % variables


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, count: int, /, **variables: Any) -> Markup:
    variables.setdefault("num", count)
    return escape(i18n.ngettext(_lang(ctx), singular, plural, count)) % variables


@pass_context
def _translate(ctx: Context, message: str) -> str:
    """Translate a message id held in data (e.g. a contact-level reason); the result is escaped as text."""
    return i18n.gettext(_lang(ctx), message)


@pass_context
def _label(ctx: Context, kind: str, code: str | None) -> str:
    if code is None:
        return ""
    msgid = message_id(kind, code)
    return i18n.gettext(_lang(ctx), msgid) if msgid else code


@pass_context
def _localized(ctx: Context, obj: object, field: str) -> str:
    """``obj.<field>_<lang>`` (e.g. a service's ``name_es``), falling back to the other language when empty."""
    values = [getattr(obj, f"{field}_{lang}", "") for lang in (_lang(ctx), *i18n.LANGUAGES)]
    return next((str(v) for v in values if v), "")


@pass_context
def _datetime(ctx: Context, value: datetime | None, tz: str | None = None) -> str:
    return "" if value is None else i18n.format_datetime(value, _lang(ctx), tz or ctx["timezone"])


@pass_context
def _date(ctx: Context, value: datetime | None, tz: str | None = None) -> str:
    return "" if value is None else i18n.format_date(value, _lang(ctx), tz or ctx["timezone"])


@pass_context
def _number(ctx: Context, value: float) -> str:
    return i18n.format_number(value, _lang(ctx))


@pass_context
def _duration(ctx: Context, value: timedelta) -> str:
    return i18n.format_duration(value, _lang(ctx))


@pass_context
def _seconds(ctx: Context, value: float) -> str:
    return i18n.format_duration(timedelta(seconds=round(value)), _lang(ctx))


@pass_context
def _decimal(ctx: Context, value: float) -> str:
    """One decimal place, in the page language's format (e.g. 1,5 / 1.5)."""
    return format_decimal(round(value, 1), format="#,##0.0", locale=_lang(ctx))


@pass_context
def _reason(ctx: Context, code: str, params: Mapping[str, Any]) -> str:
    """A contact-policy reason in words, in the page language."""
    return explain(code, params, _lang(ctx))


def build_environment() -> Environment:
    env = Environment(loader=PackageLoader("momentos.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(reason=_reason, _=_gettext, gettext=_gettext, ngettext=_ngettext, label=_label, loc=_localized,
                       language_names=LANGUAGE_NAMES, languages=i18n.LANGUAGES)
    env.filters.update(translate=_translate, datetime=_datetime, date=_date, number=_number, duration=_duration,
                       seconds=_seconds, decimal=_decimal)
    return env


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def lang_url(request: Request, lang: str) -> str:
    """The current page in another language (a relative URL; other query parameters kept)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


class Pages:
    """Renders templates in the request's language and sets the language cookie on a switch."""

    def __init__(self, settings: Settings) -> None:
        self.env = build_environment()
        self.default_language = settings.default_language
        self.secure_cookies = settings.public_url.startswith("https://")
        self.static_version = _static_version()

    def language(self, request: Request) -> str:
        preferred = getattr(request.state, "user_language", None) or request.cookies.get(LANG_COOKIE)
        return i18n.negotiate(query=request.query_params.get("lang"), cookie=preferred,
                              accept_language=request.headers.get("accept-language"),
                              default=self.default_language)

    def render(self, request: Request, template: str, context: Mapping[str, Any], *, viewer: Viewer | None,
               status: int = 200) -> HTMLResponse:
        lang = self.language(request)
        html = self.env.get_template(template).render({
            **context, "lang": lang, "viewer": viewer, "timezone": viewer.timezone if viewer else "UTC",
            "path": request.url.path, "lang_urls": {x: lang_url(request, x) for x in i18n.LANGUAGES},
            "static_version": self.static_version,
        })
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if i18n.supported(request.query_params.get("lang")):
            response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax",
                                secure=self.secure_cookies)
        return response


def get_pages(request: Request) -> Pages:
    """The app's pages; made on first use when the signed-in pages are not installed (the status and survey pages
    are public and installed on their own)."""
    pages = getattr(request.app.state, "pages", None)
    if not isinstance(pages, Pages):
        settings = request.app.state.settings
        assert isinstance(settings, Settings)
        pages = request.app.state.pages = Pages(settings)
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]


def get_view_cache(request: Request) -> ViewCache:
    cache = request.app.state.view_cache
    assert isinstance(cache, ViewCache)
    return cache


ViewCacheDep = Annotated[ViewCache, Depends(get_view_cache)]
"""The app's cache of computed dashboard views (see ``dashboard.cache``)."""
