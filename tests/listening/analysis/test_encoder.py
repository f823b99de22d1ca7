"""Speed around the encoder: long texts truncated to what the model reads (and flagged), duplicates encoded once
(cache by text hash), length batching that keeps the caller's order."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from momentos.config import AnalysisSettings
from momentos.listening.analysis import analyze, encoder

LONG = "La habitación era amplia pero el ruido de la calle no nos dejó dormir en toda la noche. " * 115


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The texts of every call of the engine (a wrapper around the real call, results untouched)."""
    seen: list[list[str]] = []
    real = encoder._encode_batch

    def counting(texts: list[str]) -> np.ndarray:
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(encoder, "_encode_batch", counting)
    encoder.clear_cache()
    yield seen
    encoder.clear_cache()


def test_a_10000_character_text_is_analysed_from_its_beginning_and_flagged() -> None:
    assert len(LONG) >= 10_000
    long, short = analyze([LONG, "Excelente servicio, gracias"])
    assert long.truncated and not short.truncated
    assert long.sentiment == "neg" and long.language == "es" and long.embedding.shape == (encoder.DIM,)
    kept, cut, tokens = encoder.truncate(LONG)
    assert cut and LONG.startswith(kept) and tokens <= encoder.MODEL_MAX_TOKENS < encoder.token_count(LONG)
    assert encoder.token_count(kept + " noche.") > encoder.MODEL_MAX_TOKENS - 8  # cut at the limit, not far before


def test_a_lower_token_limit_from_the_settings_cuts_earlier() -> None:
    try:
        encoder.configure(AnalysisSettings(max_tokens=32))
        kept, cut, tokens = encoder.truncate(LONG[:400])
        assert cut and tokens <= 32 and len(kept) < 200
    finally:
        encoder.configure(AnalysisSettings())


def test_duplicate_texts_are_encoded_once_and_then_come_from_the_cache(calls: list[list[str]]) -> None:
    texts = ["Pésimo servicio", "Muy buena atención", "Pésimo servicio", "Todo bien", "Muy buena atención"]
    first = encoder.encode(texts).vectors
    assert sorted(t for call in calls for t in call) == sorted(set(texts))
    np.testing.assert_array_equal(first[0], first[2])
    calls.clear()
    again = encoder.encode(["Todo bien", "Pésimo servicio"]).vectors
    assert calls == []
    np.testing.assert_array_equal(again, first[[3, 0]])


def test_length_batching_keeps_the_callers_order(calls: list[list[str]]) -> None:
    texts = ["Una espera larguísima en la oficina y nadie supo decirme nada sobre mi reclamación de junio.",
             "Bien.", "El técnico vino a la hora acordada.", "Fatal", "Me cobraron dos veces el mismo mes."]
    batched = encoder.encode(texts).vectors
    assert calls[0] == sorted(texts, key=encoder.token_count)  # encoded shortest first
    for text, vector in zip(texts, batched, strict=True):
        one = encoder.encode([text], cache=False).vectors[0]
        assert float(one @ vector) > 0.999, text
