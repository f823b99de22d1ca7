"""Cleaning before embedding: handles and URLs out; empty and binary texts refused, long ones kept whole."""

from __future__ import annotations

import pytest

from momentos.listening.analysis import clean
from momentos.listening.analysis.text import MAX_CHARS, sentences


def test_handles_and_urls_are_stripped_but_emails_stay() -> None:
    text = "@Iberia  mi vuelo   IB123 se canceló https://t.co/xyz www.iberia.com — escribid a ana@example.com"
    assert clean(text) == "mi vuelo IB123 se canceló — escribid a ana@example.com"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("   ", "empty"), ("@brand https://t.co/x", "empty"), ("!!! ...", "empty"),
    ("ok\x00\x01binary", "binary"), ("bad \ufffd byte", "binary"),
])
def test_bad_texts_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        clean(text)


def test_a_long_text_is_kept_whole_for_the_encoder_to_cut() -> None:
    text = "muy bien " * MAX_CHARS
    assert clean(text) == text.strip()


def test_a_long_review_is_split_into_sentences() -> None:
    review = ("La habitación estaba limpia y amplia. El desayuno, escaso y caro! ¿Volveremos? Sí.\n"
              "The staff spoke English.")
    assert sentences(review) == ["La habitación estaba limpia y amplia.", "El desayuno, escaso y caro!",
                                 "¿Volveremos? Sí.", "The staff spoke English."]
