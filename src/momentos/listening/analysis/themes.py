"""Themes: clusters of similar comments, as many as are useful, each named by a short phrase of its own texts.

Default (measured in ``bench/themes.py``): sentence embeddings, centred on their mean (e5 vectors share one large
common direction, which hides the topics) and normalised, are over-clustered by k-means into up to 24 small
groups; the two closest groups are then merged while their centroids' cosine similarity is at least
``MERGE_SIMILARITY``, while there are more than ``MAX_K``, or while a group holds fewer than ``MIN_SHARE`` of the
texts (at least ``MIN_SIZE``). So the number of themes follows from how distinct and how populated they are,
not from the silhouette (which on e5 vectors always chose 2). Each theme is named by ``theme_names`` (the most
central, distinctive 2–4-word phrase); themes whose names say the same thing are merged. Long reviews are split
into sentences first; a text belongs to every theme one of its sentences falls in. The silhouette choice
(``method="silhouette"``) and TF-IDF + NMF (``method="nmf"``) are kept for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from momentos.listening.analysis.theme_names import name_themes, near_duplicates

LONG_TEXT = 280
MAX_K = 12
OVERCLUSTER = 24
MERGE_SIMILARITY = 0.4
"""Cosine similarity of centred centroids above which two groups are one theme (bench: 0.3 under-splits the UCI
review sources, 0.5 and more split one topic into several)."""
MIN_SHARE = 0.02
MIN_SIZE = 3
TOP_TERMS = 8
SEED = 7
WORD = r"(?u)\b[^\W\d_]{3,}\b"
"""A word for theme terms: three or more letters."""


@dataclass(frozen=True)
class Theme:
    label: str
    """A short phrase of the theme's texts, in their language (``lost luggage``, ``maleta perdida``)."""
    terms: list[str]
    members: list[int]
    """Indices of the input texts in this theme."""


def themes(texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None,
           k: int | None = None) -> list[Theme]:
    """Themes of ``texts``, largest first. ``embeddings`` (one row per text, from :func:`analyze`) avoid
    re-embedding; without them long texts are split into sentences. ``k`` fixes the number of themes (at most)."""
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
        return _label(units, owner, _nmf_assign(units, k), None)
    if method not in ("kmeans", "silhouette"):
        raise ValueError(f"unknown theme method {method!r}")
    if embeddings is None:
        from momentos.listening.analysis.encoder import embed

        embeddings = embed(units)
    elif len(embeddings) != len(texts):
        raise ValueError("one embedding row per text is needed")
    emb = np.asarray(embeddings, dtype=np.float32)
    assignment = _kmeans_assign(emb, k or (silhouette_k(emb) if method == "silhouette" else None))
    return _label(units, owner, assignment, centred(emb))


def choose_k(n: int) -> int:
    return max(1, min(MAX_K, round(math.sqrt(n / 4))))


def centred(emb: npt.NDArray[np.float32], mean: npt.NDArray[np.float32] | None = None) -> npt.NDArray[np.float32]:
    """Rows minus their mean (or ``mean``), normalised: the space where themes are found and texts assigned."""
    shifted = emb - (emb.mean(axis=0) if mean is None else mean)
    out: npt.NDArray[np.float32] = (shifted / np.maximum(np.linalg.norm(shifted, axis=1, keepdims=True), 1e-12)
                                    ).astype(np.float32)
    return out


def _kmeans_assign(emb: npt.NDArray[np.float32], k: int | None) -> npt.NDArray[np.int_]:
    """Themes of raw embeddings: ``k`` of them by k-means, or as many as are useful (see the module)."""
    x = centred(emb)
    if k is None:
        return useful_assign(x)
    k = min(k, len(x))
    if k <= 1:
        return np.zeros(len(x), dtype=int)
    from sklearn.cluster import KMeans

    labels: npt.NDArray[np.int_] = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(x)
    return labels


def useful_assign(x: npt.NDArray[np.float32]) -> npt.NDArray[np.int_]:
    """Over-cluster the centred rows ``x``, then merge groups that are too close, too many or too small."""
    n = len(x)
    if n < 2 * MIN_SIZE:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import KMeans

    micro = KMeans(n_clusters=min(OVERCLUSTER, n // MIN_SIZE), n_init=2, random_state=SEED).fit_predict(x)
    groups = {int(c): [int(c)] for c in set(micro.tolist())}
    sums = {c: x[micro == c].sum(axis=0) for c in groups}
    counts = {c: int((micro == c).sum()) for c in groups}
    smallest = max(MIN_SIZE, MIN_SHARE * n)
    while len(groups) > 1:
        keys = list(groups)
        cents = np.vstack([sums[c] / max(float(np.linalg.norm(sums[c])), 1e-12) for c in keys])
        sim = cents @ cents.T
        np.fill_diagonal(sim, -2.0)
        i, j = (int(v) for v in np.unravel_index(int(sim.argmax()), sim.shape))
        small = min(range(len(keys)), key=lambda r: counts[keys[r]])
        if not (sim[i, j] >= MERGE_SIMILARITY or len(keys) > MAX_K):
            if counts[keys[small]] >= smallest:
                break
            i, j = small, int(sim[small].argmax())
        a, b = keys[i], keys[j]
        groups[a] += groups.pop(b)
        sums[a], counts[a] = sums[a] + sums.pop(b), counts[a] + counts.pop(b)
    out = np.zeros(n, dtype=int)
    for label, members in enumerate(groups.values()):
        out[np.isin(micro, members)] = label
    return out


def silhouette_k(emb: npt.NDArray[np.float32]) -> int:
    """The former choice (kept to compare): the k (2..12) with the best cosine silhouette on a sample."""
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


def _label(units: list[str], owner: list[int], assignment: npt.NDArray[np.int_],
           emb: npt.NDArray[np.float32] | None) -> list[Theme]:
    """Name each cluster; clusters whose names are near-duplicates are merged (and named again)."""
    assignment = assignment.copy()
    while True:
        names = name_themes(units, emb, assignment)
        pair = next(((a, b) for a in names for b in names if a < b and near_duplicates(names[a], names[b])), None)
        if pair is None:
            break
        assignment[assignment == pair[1]] = pair[0]
    terms = top_terms(units, assignment)
    out = []
    for c, words in terms.items():
        members = sorted({owner[i] for i in np.flatnonzero(assignment == c).tolist()})
        out.append(Theme(label=names[c], terms=words, members=members))
    return sorted(out, key=lambda t: (-len(t.members), t.label))


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
