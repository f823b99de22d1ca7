"""Sentiment (neg / neu / pos with a score in -1..1) as a linear softmax head over the sentence embeddings.

The shipped head lives in ``data/head.npz`` (see ``scripts/build_sentiment_head.py`` for how it is built and from
which data, and ``bench/listening.py`` for its figures). An organization's own rated feedback fits an *adapter*: a
logistic regression over the embeddings, combined at prediction time with the shipped head as a prior
(``logits = adapter + PRIOR_WEIGHT × log P_default``, a product of experts). Measured on TASS (bench): better than
the regression alone or stacked on the head's logits at every size from 100 to 940 labels. Serialised as npz
(arrays + a JSON record, loaded with ``allow_pickle=False``), never pickle."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from momentos.listening.analysis.encoder import DIM

LABELS = ("neg", "neu", "pos")
ADAPTER_FORMAT = "momentos.sentiment-adapter.v1"
MIN_PER_CLASS = 2
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
"""Inverse regularisations tried for an adapter; the one with the best cross-validated macro-F1 (of the combined
prediction) is kept, so a dozen labels and a thousand are both handled."""
PRIOR_WEIGHT = 0.5
"""Weight of the shipped head's log-probabilities in an adapter's logits (0.3–1.0 measured alike; 0.5 best)."""

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Head:
    """logits = features @ weights.T + bias, one row per class in ``classes``."""

    classes: tuple[str, ...]
    weights: Matrix
    bias: Matrix
    prior_weight: float = 0.0
    """For an adapter: weight of the shipped head's log-probabilities added to its own logits."""

    def logits(self, embeddings: Matrix) -> Matrix:
        out: Matrix = (embeddings @ self.weights.T + self.bias).astype(np.float32)
        if self.prior_weight:
            prior = default_head()
            z = prior.logits(embeddings)
            z = z - z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            columns = [prior.classes.index(c) for c in self.classes]
            out = (out + self.prior_weight * log_p[:, columns]).astype(np.float32)
        return out

    def probabilities(self, embeddings: Matrix) -> Matrix:
        z = self.logits(embeddings)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        out: Matrix = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
        return out


_lock = threading.Lock()


@cache
def default_head() -> Head:
    """The shipped head (loaded once per process)."""
    with _lock:
        raw = resources.files("momentos.listening.analysis").joinpath("data/head.npz").read_bytes()
        return _read_head(raw, is_adapter=False)


def prototype_texts() -> dict[str, list[str]]:
    """The team-written prototype phrases the shipped head is built from, per label."""
    raw = resources.files("momentos.listening.analysis").joinpath("data/prototypes.json").read_text("utf-8")
    data = json.loads(raw)
    return {label: list(data[label]) for label in LABELS}


def _read_head(raw: bytes, *, is_adapter: bool) -> Head:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
            weights = np.asarray(npz["weights"], dtype=np.float32)
            bias = np.asarray(npz["bias"], dtype=np.float32)
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not a sentiment head/adapter: {exc}") from exc
    if not isinstance(meta, dict):
        raise ValueError("not a sentiment head/adapter (no meta record)")
    classes = tuple(meta.get("classes", ()))
    prior_weight = float(meta.get("prior_weight", 0.0))
    if meta.get("format") != ADAPTER_FORMAT or not set(classes) <= set(LABELS) or len(classes) < 2:
        raise ValueError("not a sentiment head/adapter (unknown format or classes)")
    if prior_weight and not is_adapter:
        raise ValueError("the shipped head cannot have a prior")
    if weights.shape != (len(classes), DIM) or bias.shape != (len(classes),):
        raise ValueError("sentiment head/adapter has inconsistent shapes")
    return Head(classes=classes, weights=weights, bias=bias, prior_weight=prior_weight)


def write_head(head: Head, **about: str) -> bytes:
    """npz bytes of a head (arrays + a JSON meta record; loadable with allow_pickle=False)."""
    meta = {"format": ADAPTER_FORMAT, "classes": list(head.classes), "prior_weight": head.prior_weight, **about}
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=head.weights.astype(np.float32), bias=head.bias.astype(np.float32),
                        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    return buf.getvalue()


def load_adapter(adapter: bytes) -> Head:
    return _read_head(adapter, is_adapter=True)


def fit_adapter(embeddings: Matrix, labels: Sequence[str], *, c: float | None = None) -> bytes:
    """An organization's head from its rated feedback (embeddings of the comments, labels neg/neu/pos)."""
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(labels):
        raise ValueError("embeddings must be an n × d matrix with one label per row")
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown labels {sorted(unknown)}; use {list(LABELS)}")
    classes = tuple(lab for lab in LABELS if list(labels).count(lab) >= MIN_PER_CLASS)
    if len(classes) < 2:
        raise ValueError(f"an adapter needs at least {MIN_PER_CLASS} examples of two labels")
    keep = np.array([lab in classes for lab in labels])
    y = np.array([classes.index(lab) for lab, k in zip(labels, keep, strict=True) if k])
    x = emb[keep]
    c = c if c is not None else _choose_c(x, y, classes)
    weights, bias = _fit_lr(x, y, c)
    head = Head(classes=classes, weights=weights.astype(np.float32), bias=bias.astype(np.float32),
                prior_weight=PRIOR_WEIGHT)
    return write_head(head, trained_on=f"{int(keep.sum())} rated comments", c=str(c))


def _fit_lr(x: Matrix, y: npt.NDArray[np.int_], c: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, y)
    weights, bias = model.coef_, model.intercept_
    if weights.shape[0] == 1:  # sklearn gives one row for two classes: logits (0, z)
        weights = np.vstack([np.zeros_like(weights), weights])
        bias = np.concatenate([[0.0], bias])
    return weights, bias


def _choose_c(x: Matrix, y: npt.NDArray[np.int_], classes: tuple[str, ...]) -> float:
    """The C of C_GRID whose adapter (with the prior) has the best stratified cross-validated macro-F1; between
    equal F1s (few comments: common), the lower cross-validated log-loss, a proper score that rarely ties."""
    from sklearn.metrics import f1_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    folds = min(5, int(np.bincount(y).min()))
    if folds < 2:
        return 1.0
    scores = {c: 0.0 for c in C_GRID}
    losses = {c: 0.0 for c in C_GRID}
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(x, y):
        if len(set(y[train].tolist())) < len(classes):
            continue
        for c in C_GRID:
            weights, bias = _fit_lr(x[train], y[train], c)
            head = Head(classes=classes, weights=weights.astype(np.float32), bias=bias.astype(np.float32),
                        prior_weight=PRIOR_WEIGHT)
            probs = head.probabilities(x[test])
            labels = list(range(len(classes)))
            scores[c] += float(f1_score(y[test], probs.argmax(axis=1), average="macro", labels=labels))
            losses[c] += float(log_loss(y[test], probs, labels=labels))
    return max(C_GRID, key=lambda c: (round(scores[c], 9), -losses[c]))


def classify(embeddings: Matrix, head: Head | None = None) -> list[tuple[str, float]]:
    """(label, score) per row: the most probable class and P(pos) − P(neg)."""
    head = head or default_head()
    probs = head.probabilities(embeddings)
    pos = probs[:, head.classes.index("pos")] if "pos" in head.classes else np.zeros(len(probs), np.float32)
    neg = probs[:, head.classes.index("neg")] if "neg" in head.classes else np.zeros(len(probs), np.float32)
    best = probs.argmax(axis=1)
    return [(head.classes[int(b)], float(np.clip(p - n, -1.0, 1.0))) for b, p, n in zip(best, pos, neg, strict=True)]
