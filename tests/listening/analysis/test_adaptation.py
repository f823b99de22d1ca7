"""The adapter is switched on only when cross-validation on the organization's own labels says it beats the
default; imported ratings become labels through their source's scale, and survey answers win."""

from __future__ import annotations

import pytest

from momentos.listening.analysis import ratings
from momentos.listening.analysis.adaptation import MARGIN, cross_validate
from tests.listening.analysis.adaptation_data import default_says, flipped, random_labels, vectors

N = 45


def test_the_adapter_is_not_switched_on_when_the_default_is_already_right() -> None:
    x = vectors(N)
    verdict = cross_validate(x, default_says(x))
    assert verdict is not None and verdict.labels == N
    assert verdict.default_f1 == pytest.approx(1.0)
    assert not verdict.switch_on


def test_the_adapter_is_not_switched_on_for_labels_unrelated_to_the_texts() -> None:
    x = vectors(N)
    verdict = cross_validate(x, random_labels(N))
    assert verdict is not None
    assert not verdict.switch_on


def test_the_adapter_is_switched_on_when_it_clearly_beats_the_default() -> None:
    x = vectors(N)
    verdict = cross_validate(x, flipped(x))
    assert verdict is not None
    assert verdict.adapter_f1 > verdict.default_f1 + 4 * MARGIN
    assert verdict.switch_on
    assert len(verdict.adapter_scores) == len(verdict.default_scores) == 3 * 5  # repeated 5-fold under 200 labels


def test_too_few_labels_or_one_kind_give_no_verdict() -> None:
    x = vectors(N)
    assert cross_validate(x[:20], default_says(x[:20])) is None
    assert cross_validate(x, ["neg"] * N) is None


@pytest.mark.parametrize(("rating", "scale", "label"), [
    (1, "stars", "neg"), (2, "stars", "neg"), (3, "stars", "neu"), (4, "stars", "pos"), (4.5, "stars", "pos"),
    (2.5, "stars", "neu"), (6, "ten", "neg"), (7, "ten", "neu"), (8, "ten", "neu"), (9, "ten", "pos"),
    (0, "ten", "neg"), (9, "stars", "pos"), (5, "off", None), (None, "stars", None)])
def test_a_rating_is_read_through_its_scale(rating: float | None, scale: str, label: str | None) -> None:
    assert ratings.rating_label(rating, scale) == label


def test_auto_reads_a_source_as_stars_unless_a_rating_is_above_five() -> None:
    assert ratings.resolve("auto", 5.0) == "stars"
    assert ratings.resolve("auto", 8.0) == "ten"
    assert ratings.resolve("off", 5.0) == "off"
    assert ratings.resolve("ten", 4.0) == "ten"


def test_a_survey_answer_wins_over_a_rating() -> None:
    assert ratings.label_of(2, None, 5, "stars") == "neg"
    assert ratings.label_of(None, 5, 1, "stars") == "pos"
    assert ratings.label_of(None, None, 1, "stars") == "neg"
