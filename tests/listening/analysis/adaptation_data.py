"""Synthetic embeddings near the shipped head's class directions (no encoder needed) and labels built on them."""

from __future__ import annotations

import numpy as np

from momentos.listening.analysis.sentiment import classify, default_head

FLIP = {"neg": "pos", "pos": "neg", "neu": "neu"}


def vectors(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = default_head().weights
    x = rng.normal(size=(n, weights.shape[1])) * 0.05
    x += (weights / np.linalg.norm(weights, axis=1, keepdims=True))[rng.integers(0, len(weights), n)]
    out: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def default_says(x: np.ndarray) -> list[str]:
    return [label for label, _ in classify(x)]


def flipped(x: np.ndarray) -> list[str]:
    """Labels an organization would give if, in its world, what the default reads as negative were praise."""
    return [FLIP[label] for label in default_says(x)]


def random_labels(n: int, seed: int = 2) -> list[str]:
    return [str(v) for v in np.random.default_rng(seed).choice(["neg", "neu", "pos"], n)]
