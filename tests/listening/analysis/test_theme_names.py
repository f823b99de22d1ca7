"""Theme names: short phrases of the texts themselves, singular, without links, mentions, entities or broken
tokens, and never two that say the same thing."""

from __future__ import annotations

import numpy as np

from momentos.listening.analysis.theme_names import language, name_themes, near_duplicates, singular, tokens

ARTEFACT = ("http", "www", "@", "#", "amp", "quot", "doesn", "don", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
LUGGAGE = ["@airline my lost luggage never arrived &amp; nobody answers https://t.co/x1",
           "Lost luggage again!! #fail", "They said my lost luggage doesn't exist &quot;sorry&quot;",
           "lost luggage for 3 days, ridiculous", "where is my lost luggage @helpdesk"]
MALETAS = ["Mis maletas perdidas no aparecen desde el martes", "Otra vez maletas perdidas en Madrid",
           "Nadie responde por las maletas perdidas www.ejemplo.com", "Tengo dos maletas perdidas y ninguna noticia"]


def test_tokens_drop_links_mentions_entities_numbers_and_contractions() -> None:
    words = [w for w in tokens("@bob it doesn't work &amp; amp see https://x.y/z #delay 42 times") if w]
    assert words == ["it", "work", "see", "delay", "times"]


def test_plurals_become_singular_in_both_languages() -> None:
    assert [singular(w, "en") for w in ("bags", "flights", "delays", "companies", "boxes", "business")] == \
        ["bag", "flight", "delay", "company", "box", "business"]
    assert [singular(w, "es") for w in ("maletas", "vuelos", "cancelaciones", "vendedores", "luces")] == \
        ["maleta", "vuelo", "cancelación", "vendedor", "luz"]


def test_the_language_of_a_theme_is_found_from_its_words() -> None:
    assert language(LUGGAGE) == "en"
    assert language(MALETAS) == "es"


def test_names_are_central_phrases_of_the_theme_in_its_language_without_artefacts() -> None:
    texts = LUGGAGE + MALETAS
    assignment = np.array([0] * len(LUGGAGE) + [1] * len(MALETAS))
    names = name_themes(texts, None, assignment)
    assert names == {0: "lost luggage", 1: "maleta perdida"}
    for name in names.values():
        assert 2 <= len(name.split()) <= 4
        assert not any(a in name.split() or a in name for a in ARTEFACT if not a.isalpha()) and \
            not set(name.split()) & {"amp", "quot", "doesn", "don"}


def test_near_duplicate_names_are_recognised() -> None:
    assert near_duplicates("lost luggage", "lost luggage claim")
    assert near_duplicates("delayed flight", "flight delayed")
    assert not near_duplicates("lost luggage", "rude cabin crew")
