"""Languages: Babel message catalogs (es, en), language negotiation, locale-aware dates and numbers.

Message ids are English sentences; the catalogs live in ``momentos/locale/<lang>/LC_MESSAGES/messages.mo``
(compiled from the ``.po`` files by ``scripts/extract-messages.sh``). Imports no domain package.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("es", "en")
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translate later with ``gettext``)."""
    return message


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of a supported language; a missing catalog is an installation error, not English."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language: {lang!r}")
    path = mo_path(lang)
    if not path.is_file():
        raise FileNotFoundError(f"message catalog missing: {path} (run scripts/extract-messages.sh)")
    with path.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def supported(value: str | None) -> str | None:
    """'es-MX', 'ES', 'en_GB' → 'es' / 'en'; anything else → None."""
    if not value:
        return None
    lang = value.strip()[:2].lower()
    return lang if lang in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most preferred first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(*, query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language of a request: ``?lang=``, then the language cookie, then ``Accept-Language``, then default."""
    for candidate in (query, cookie):
        if lang := supported(candidate):
            return lang
    for tag in parse_accept_language(accept_language):
        if lang := supported(tag):
            return lang
    return supported(default) or LANGUAGES[0]


def zone(name: str | None) -> ZoneInfo:
    """A time zone by name; unknown or missing names fall back to UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_datetime(value: datetime, lang: str, tz: str | None = None) -> str:
    """Medium date and short time in the language's pattern: '2 mar 2026, 10:00' / 'Mar 2, 2026, 10:00 AM'."""
    local = _aware(value).astimezone(zone(tz))
    pattern = str(Locale.parse(lang).datetime_formats["medium"])
    time_part = _format_time(local, "short", locale=lang)
    return pattern.replace("{0}", time_part).replace("{1}", _format_date(local, "medium", locale=lang))


def format_date(value: datetime, lang: str, tz: str | None = None, fmt: str = "medium") -> str:
    return _format_date(_aware(value).astimezone(zone(tz)), fmt, locale=lang)


def format_number(value: float, lang: str) -> str:
    return format_decimal(value, locale=lang)


def format_duration(value: timedelta, lang: str) -> str:
    """A rounded duration in words: '3 horas' / '3 hours'."""
    return format_timedelta(value, locale=lang)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
