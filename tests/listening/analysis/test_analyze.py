"""Sentiment and language on clearly worded texts in Spanish and English, with the shipped model (offline)."""

from __future__ import annotations

import numpy as np
import pytest

from momentos.listening.analysis import TextResult, analyze

NEGATIVE = [
    "El servicio fue pésimo, llevo tres semanas esperando el reembolso y nadie me contesta.",
    "Qué vergüenza de empresa, me cobraron dos veces y encima me tratan mal.",
    "Terrible experience, the flight was cancelled and the staff were rude.",
    "The product stopped working after a week and support never replied. Awful.",
]
POSITIVE = [
    "Excelente atención, resolvieron mi problema en cinco minutos. ¡Muchas gracias!",
    "Me encantó el hotel, el personal fue amabilísimo y la comida riquísima.",
    "Fantastic service, the delivery arrived early and everything works perfectly.",
    "I love this app, it is so easy to use. Thank you team!",
]


@pytest.fixture(scope="module")
def results() -> list[TextResult]:
    return analyze(NEGATIVE + POSITIVE)


def test_clearly_negative_and_positive_texts_are_classified_right(results: list[TextResult]) -> None:
    assert [r.sentiment for r in results] == ["neg"] * len(NEGATIVE) + ["pos"] * len(POSITIVE)
    assert all(r.score < -0.3 for r in results[:len(NEGATIVE)])
    assert all(r.score > 0.3 for r in results[len(NEGATIVE):])


def test_language_is_detected_for_spanish_and_english(results: list[TextResult]) -> None:
    assert [r.language for r in results] == ["es", "es", "en", "en", "es", "es", "en", "en"]


def test_embeddings_are_normalised_float32_and_reusable(results: list[TextResult]) -> None:
    matrix = np.vstack([r.embedding for r in results])
    assert matrix.dtype == np.float32 and matrix.shape == (8, 384)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)
    again = analyze([NEGATIVE[0]])[0].embedding
    assert float(again @ results[0].embedding) > 0.999


def test_handles_and_links_do_not_change_the_result() -> None:
    plain, noisy = analyze(["Pésimo servicio, me cancelaron el vuelo y no vuelvo",
                            "@Aerolinea Pésimo   servicio, me cancelaron el vuelo y no vuelvo https://t.co/abc"])
    assert float(plain.embedding @ noisy.embedding) > 0.99 and noisy.sentiment == "neg"


def test_another_language_or_a_bare_token_is_undetermined() -> None:
    french, token = analyze(["Le service client était vraiment très agréable et la chambre magnifique.", "ok"])
    assert french.language == "und" and token.language == "und"


def test_a_bad_text_in_a_batch_is_named_by_its_index() -> None:
    with pytest.raises(ValueError, match=r"text 1: .*empty"):
        analyze(["bien", "@marca https://t.co/x"])
    with pytest.raises(TypeError):
        analyze("not a list")


def test_a_mixed_language_text_is_analysed_not_refused() -> None:
    mixed, = analyze(["El hotel was great pero el desayuno muy caro, honestly not worth it"])
    assert mixed.language in {"es", "en", "und"} and mixed.sentiment == "neg"
