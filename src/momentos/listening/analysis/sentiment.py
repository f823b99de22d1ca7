"""Sentiment (neg / neu / pos with a score in -1..1) as a linear softmax head over the sentence embeddings.

The shipped head lives in ``data/head.npz`` (see ``bench/listening.py`` and ``scripts/build-sentiment-head.py``
for how it is built and from which data). An organization's own rated feedback fits an *adapter*: a logistic
regression over the embedding plus the shipped head's logits, serialised as npz (never pickle)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

LABELS = ("neg", "neu", "pos")
ADAPTER_FORMAT = "momentos.sentiment-adapter.v1"
MIN_PER_CLASS = 2

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Head:
    """logits = features @ weights.T + bias, one row per class in ``classes``."""

    classes: tuple[str, ...]
    weights: Matrix
    bias: Matrix
    stacked: bool = False
    """True for an adapter: its features are the embedding followed by the shipped head's logits."""

    def logits(self, embeddings: Matrix) -> Matrix:
        feats = embeddings
        if self.stacked:
            feats = np.hstack([embeddings, default_head().logits(embeddings)])
        out: Matrix = (feats @ self.weights.T + self.bias).astype(np.float32)
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
        return _read_head(raw, stacked_allowed=False)


def _read_head(raw: bytes, *, stacked_allowed: bool) -> Head:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
            weights = np.asarray(npz["weights"], dtype=np.float32)
            bias = np.asarray(npz["bias"], dtype=np.float32)
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a sentiment head/adapter: {exc}") from exc
    classes = tuple(meta.get("classes", ()))
    stacked = bool(meta.get("stacked", False))
    if meta.get("format") != ADAPTER_FORMAT or not set(classes) <= set(LABELS) or len(classes) < 2:
        raise ValueError("not a sentiment head/adapter (unknown format or classes)")
    if stacked and not stacked_allowed:
        raise ValueError("the shipped head cannot be stacked")
    if weights.ndim != 2 or weights.shape[0] != len(classes) or bias.shape != (len(classes),):
        raise ValueError("sentiment head/adapter has inconsistent shapes")
    return Head(classes=classes, weights=weights, bias=bias, stacked=stacked)


def write_head(head: Head, **about: str) -> bytes:
    """npz bytes of a head (arrays + a JSON meta record; loadable with allow_pickle=False)."""
    meta = {"format": ADAPTER_FORMAT, "classes": list(head.classes), "stacked": head.stacked, **about}
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=head.weights.astype(np.float32), bias=head.bias.astype(np.float32),
                        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    return buf.getvalue()


def load_adapter(adapter: bytes) -> Head:
    return _read_head(adapter, stacked_allowed=True)


def fit_adapter(embeddings: Matrix, labels: Sequence[str], *, c: float = 1.0) -> bytes:
    """An organization's head from its rated feedback (embeddings of the comments, labels neg/neu/pos)."""
    from sklearn.linear_model import LogisticRegression

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
    feats = np.hstack([emb, default_head().logits(emb)])[keep]
    y = np.array([classes.index(lab) for lab, k in zip(labels, keep, strict=True) if k])
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(feats, y)
    weights, bias = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn gives one row for two classes: logits (0, z)
        weights = np.vstack([np.zeros_like(weights), weights])
        bias = np.concatenate([[0.0], bias])
    head = Head(classes=classes, weights=weights.astype(np.float32), bias=bias.astype(np.float32), stacked=True)
    return write_head(head, trained_on=f"{int(keep.sum())} rated comments")


def classify(embeddings: Matrix, head: Head | None = None) -> list[tuple[str, float]]:
    """(label, score) per row: the most probable class and P(pos) − P(neg)."""
    head = head or default_head()
    probs = head.probabilities(embeddings)
    pos = probs[:, head.classes.index("pos")] if "pos" in head.classes else np.zeros(len(probs), np.float32)
    neg = probs[:, head.classes.index("neg")] if "neg" in head.classes else np.zeros(len(probs), np.float32)
    best = probs.argmax(axis=1)
    return [(head.classes[int(b)], float(np.clip(p - n, -1.0, 1.0))) for b, p, n in zip(best, pos, neg, strict=True)]
