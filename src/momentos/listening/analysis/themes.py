"""Themes: clusters of similar comments with readable labels from their top terms.

Default (chosen by measurement in ``bench/listening.py``): sentence embeddings + k-means, each cluster labelled by
its class-based TF-IDF top terms. Long reviews are split into sentences first; a text belongs to every theme one
of its sentences falls in. TF-IDF + NMF is kept for comparison (``method="nmf"``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

LONG_TEXT = 280
MAX_K = 12
TOP_TERMS = 8
LABEL_TERMS = 3
SEED = 7
WORD = r"(?u)\b[^\W\d_]{3,}\b"
"""A word for theme terms: three or more letters."""


@dataclass(frozen=True)
class Theme:
    label: str
    terms: list[str]
    members: list[int]
    """Indices of the input texts in this theme."""


def themes(texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None,
           k: int | None = None) -> list[Theme]:
    """Themes of ``texts``, largest first. ``embeddings`` (one row per text, from :func:`analyze`) avoid
    re-embedding; without them long texts are split into sentences. ``k`` fixes the number of themes."""
    return themes_by("kmeans", texts, embeddings, k)


def themes_by(method: str, texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None,
              k: int | None = None) -> list[Theme]:
    from momentos.listening.analysis.text import clean, sentences

    if not texts:
        return []
    units: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        cleaned = clean(text)
        parts = sentences(cleaned) if embeddings is None and len(cleaned) > LONG_TEXT else [cleaned]
        units.extend(parts)
        owner.extend([i] * len(parts))
    if method == "nmf":
        assignment = _nmf_assign(units, k)
    elif method == "kmeans":
        if embeddings is None:
            from momentos.listening.analysis.encoder import embed

            embeddings = embed(units)
        elif len(embeddings) != len(texts):
            raise ValueError("one embedding row per text is needed")
        assignment = _kmeans_assign(np.asarray(embeddings, dtype=np.float32), k)
    else:
        raise ValueError(f"unknown theme method {method!r}")
    return _label(units, owner, assignment)


def choose_k(n: int) -> int:
    return max(1, min(MAX_K, round(math.sqrt(n / 4))))


def _kmeans_assign(emb: npt.NDArray[np.float32], k: int | None) -> npt.NDArray[np.int_]:
    k = min(k or _best_k(emb), len(emb))
    if k <= 1:
        return np.zeros(len(emb), dtype=int)
    from sklearn.cluster import KMeans

    labels: npt.NDArray[np.int_] = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(emb)
    return labels


def _best_k(emb: npt.NDArray[np.float32]) -> int:
    """The k (2..12) with the best cosine silhouette on a sample, for at least 8 texts."""
    n = len(emb)
    if n < 8:
        return 1 if n < 4 else 2
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(SEED)
    sample = emb[rng.choice(n, size=min(n, 1500), replace=False)]
    best, best_score = 2, -1.0
    for k in range(2, min(MAX_K, n // 4) + 1):
        labels = KMeans(n_clusters=k, n_init=2, random_state=SEED).fit_predict(sample)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(sample, labels, metric="cosine"))
        if score > best_score + 0.005:
            best, best_score = k, score
    return best


def _vectorizer(**kwargs: Any) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    from momentos.listening.analysis.stopwords import stop_words

    return CountVectorizer(lowercase=True, stop_words=sorted(stop_words()), token_pattern=WORD,
                           **kwargs)


def _nmf_assign(units: list[str], k: int | None) -> npt.NDArray[np.int_]:
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    counts = _vectorizer(min_df=2 if len(units) > 20 else 1).fit_transform(units)
    k = min(k or choose_k(len(units)), counts.shape[1], len(units))
    if k <= 1:
        return np.zeros(len(units), dtype=int)
    weights = NMF(n_components=k, init="nndsvd", random_state=SEED, max_iter=400).fit_transform(
        TfidfTransformer().fit_transform(counts))
    assignment: npt.NDArray[np.int_] = weights.argmax(axis=1)
    return assignment


def top_terms(units: list[str], assignment: npt.NDArray[np.int_], n: int = TOP_TERMS) -> dict[int, list[str]]:
    """Class-based TF-IDF: terms frequent in a cluster and rare across clusters."""
    vec = _vectorizer(ngram_range=(1, 1))
    try:
        counts = vec.fit_transform(units)
    except ValueError:  # nothing but stop words
        return {int(c): [] for c in set(assignment.tolist())}
    vocab = np.array(vec.get_feature_names_out())
    clusters = sorted(set(assignment.tolist()))
    per_cluster = np.vstack([np.asarray(counts[assignment == c].sum(axis=0)).ravel() for c in clusters])
    tf = per_cluster / np.maximum(per_cluster.sum(axis=1, keepdims=True), 1)
    idf = np.log1p(per_cluster.sum(axis=1).mean() / np.maximum(per_cluster.sum(axis=0), 1))
    scores = tf * idf
    out = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-scores[row])
        out[int(c)] = [str(vocab[j]) for j in order[:n] if per_cluster[row, j] > 0]
    return out


def _label(units: list[str], owner: list[int], assignment: npt.NDArray[np.int_]) -> list[Theme]:
    terms = top_terms(units, assignment)
    out = []
    for c, words in terms.items():
        members = sorted({owner[i] for i in np.flatnonzero(assignment == c).tolist()})
        label = " / ".join(words[:LABEL_TERMS]) or f"theme {c + 1}"
        out.append(Theme(label=label, terms=words, members=members))
    return sorted(out, key=lambda t: -len(t.members))


def coherence(units: Sequence[str], topics: Sequence[Sequence[str]], n: int = 10) -> float:
    """Mean NPMI of the top-``n`` term pairs of each topic over document co-occurrence in ``units`` (−1..1)."""
    docs = [set(_vectorizer().build_analyzer()(u)) for u in units]
    total = len(docs)
    scores = []
    for topic in topics:
        words = list(topic)[:n]
        pair_scores = []
        for a in range(len(words)):
            for b in range(a + 1, len(words)):
                da = sum(1 for d in docs if words[a] in d)
                db = sum(1 for d in docs if words[b] in d)
                dab = sum(1 for d in docs if words[a] in d and words[b] in d)
                if dab == 0 or da == 0 or db == 0:
                    pair_scores.append(-1.0)
                    continue
                p_ab, p_a, p_b = dab / total, da / total, db / total
                pair_scores.append(1.0 if p_ab == 1 else math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))
        if pair_scores:
            scores.append(sum(pair_scores) / len(pair_scores))
    return sum(scores) / len(scores) if scores else 0.0
