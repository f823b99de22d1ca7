"""Message catalogs (complete Spanish, compiled .mo up to date), language negotiation and locale formatting."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from momentos.catalog.contact_levels import Assessment, assess
from momentos.kit import i18n
from momentos.web.labels import LABELS
from momentos.web.rendering import build_environment

PACKAGE = Path(i18n.__file__).resolve().parent.parent
LOCALE = PACKAGE / "locale"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Reason": (1,)}  # as in scripts/extract-messages.sh

MsgId = str | tuple[str, ...]


def _key(value: str | list[str] | tuple[str, ...]) -> MsgId:
    return value if isinstance(value, str) else tuple(value)


def _po(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp)


def _translations(catalog: Catalog) -> dict[MsgId, MsgId]:
    """What gettext will use: non-fuzzy messages with a (complete) translation."""
    found: dict[MsgId, MsgId] = {}
    for m in catalog:
        string = _key(m.string or "")
        if m.id and not m.fuzzy and all(string if isinstance(string, tuple) else (string,)):
            found[_key(m.id)] = string
    return found


def _extracted() -> dict[MsgId, str]:
    """Every message id the sources use (templates and marked Python), found as pybabel finds them."""
    parse: Callable[[IO[str]], tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]] = parse_mapping_cfg
    with (LOCALE / "babel.cfg").open() as fp:
        method_map, options_map = parse(fp)
    found: dict[MsgId, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(PACKAGE, method_map, options_map, keywords=KEYWORDS):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def test_every_message_in_templates_and_code_has_a_spanish_translation() -> None:
    spanish = _translations(_po("es"))
    missing = {msgid: where for msgid, where in _extracted().items() if msgid not in spanish}
    assert not missing, f"translate these in locale/es (scripts/extract-messages.sh): {missing}"


def test_messages_pot_is_up_to_date_with_the_sources() -> None:
    with (LOCALE / "messages.pot").open("rb") as fp:
        pot = {m.id for m in read_po(fp) if m.id}
    assert set(_extracted()) == pot, "run scripts/extract-messages.sh"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_compiled_mo_files_match_the_po_files(lang: str) -> None:
    with i18n.mo_path(lang).open("rb") as fp:
        compiled = {_key(m.id): _key(m.string or "") for m in read_mo(fp) if m.id}
    # pybabel compiles an untranslated plural as itself; an identity mapping changes nothing, so leave those out.
    changed = {k: v for k, v in compiled.items() if k != v}
    assert changed == {k: v for k, v in _translations(_po(lang)).items() if k != v}, \
        f"run scripts/extract-messages.sh compile ({lang})"


def test_every_contact_level_reason_has_a_spanish_translation() -> None:
    source = (PACKAGE / "catalog" / "contact_levels.py").read_text()
    reasons = re.findall(r'Reason\(\s*"((?:[^"\\]|\\.)*)"', source)
    assert len(reasons) >= 8
    for msgid in reasons:
        assert i18n.gettext("es", msgid) != msgid, msgid
        assert i18n.gettext("en", msgid) == msgid


def test_assessed_reasons_translate_to_spanish() -> None:
    result = assess(Assessment(presence="none", participation="none", duration="short", people="voice"))
    assert [i18n.gettext("es", r.msgid) for r in result.reasons] == [
        "El cliente no está presente físicamente: el contacto se da a distancia.",
        "El contacto con el personal es solo por voz."]


def test_every_label_is_translated() -> None:
    for kind, codes in LABELS.items():
        for code, msgid in codes.items():
            if msgid not in {"Web", "App", "SMS", "WhatsApp", "Chat", "Webhook", "Marketing", "No"}:
                assert i18n.gettext("es", msgid) != msgid, (kind, code)


def test_plural_forms_follow_the_count() -> None:
    assert i18n.ngettext("es", "process here now", "processes here now", 1) == "proceso aquí ahora"
    assert i18n.ngettext("es", "process here now", "processes here now", 0) == "procesos aquí ahora"
    assert i18n.ngettext("en", "process here now", "processes here now", 2) == "processes here now"


def test_unknown_languages_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        i18n.translations("fr")


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    ("en", "es", "es", "en"),
    (None, "en", "es-MX", "en"),
    ("xx", "en", "es", "en"),
    (None, None, "es-MX,es;q=0.9,en;q=0.8", "es"),
    (None, None, "fr-FR, en;q=0.7, es;q=0.9", "es"),
    (None, None, "es;q=0, en;q=0.5", "en"),
    (None, None, "fr, de", "es"),
    (None, None, None, "es"),
    (None, "EN-gb", None, "en"),
])
def test_language_negotiation(query: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.negotiate(query=query, cookie=cookie, accept_language=header, default="es") == expected


def test_default_language_comes_from_the_settings() -> None:
    assert i18n.negotiate(query=None, cookie=None, accept_language="fr", default="en") == "en"


def test_accept_language_is_ranked_by_quality() -> None:
    assert i18n.parse_accept_language("en;q=0.5, es-MX, *, fr;q=bad, de;q=0.8") == ["es-MX", "de", "en"]


def test_dates_and_numbers_follow_the_language_and_time_zone() -> None:
    t = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert i18n.format_datetime(t, "es", "America/Mexico_City") == "2 mar 2026, 3:05"
    assert i18n.format_datetime(t, "en", "Europe/Madrid") == "Mar 2, 2026, 10:05\u202fAM"
    assert i18n.format_datetime(t, "es", "Not/AZone") == "2 mar 2026, 9:05"
    assert i18n.format_date(t, "es", "UTC", "long") == "2 de marzo de 2026"
    assert (i18n.format_number(12345, "es"), i18n.format_number(12345, "en")) == ("12.345", "12,345")
    assert i18n.format_duration(timedelta(hours=3, minutes=5), "es") == "3 horas"


def test_template_messages_are_escaped_and_formatted() -> None:
    template = build_environment().from_string(
        '{{ _("No customer matches “%(q)s”.", q=q) }}|{{ ngettext("process here now", "processes here now", n) }}'
        '|{{ "The contact lasts a long time."|translate }}|{{ label("level", "high") }}|{{ label("channel", "fax") }}')
    html = template.render(lang="es", q="<b>", n=3)
    assert html == ("Ningún cliente coincide con «&lt;b&gt;».|procesos aquí ahora|El contacto dura mucho tiempo."
                    "|Alto contacto|fax")
