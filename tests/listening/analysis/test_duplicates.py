"""Near-duplicates: a copied complaint (with another handle or link) points at its first occurrence."""

from __future__ import annotations

import numpy as np

from momentos.listening.analysis import embed
from momentos.listening.analysis.duplicates import near_duplicates


def test_copies_point_at_the_first_occurrence_and_paraphrases_do_not() -> None:
    texts = ["Mi vuelo IB123 lleva cinco horas de retraso y nadie informa",
             "La comida del hotel estaba deliciosa",
             "@Iberia Mi vuelo IB123 lleva cinco horas de retraso y nadie informa https://t.co/x",
             "Cinco horas esperando el vuelo sin ninguna explicación"]
    assert near_duplicates(embed(texts)) == [0, 1, 0, 3]


def test_blocks_do_not_change_the_answer() -> None:
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(50, 8)).astype(np.float32)
    emb[30] = emb[3]
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    assert near_duplicates(emb, block=7) == near_duplicates(emb) and near_duplicates(emb)[30] == 3
