"""Themes against known groups: NMI of the former choice (k by silhouette) and the current one (k by usefulness).

Labelled sets from ``../shared/data`` (CC BY 4.0, see its README): the UCI "Sentiment Labelled Sentences" grouped
by source (Amazon, Yelp, IMDb; Kotzias et al., KDD 2015) and the BPI Challenge 2016 complaints (UWV; M. Dees,
B. F. van Dongen) — ``ComplaintTopic_EN`` grouped by ``ComplaintTheme_EN``. Prints, per set, the k chosen, the NMI
and the names; writes ``bench/results/themes.json``. Embeddings are cached in ``bench/results/cache``.

    python bench/themes.py
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from momentos.listening.analysis.encoder import embed
from momentos.listening.analysis.text import clean
from momentos.listening.analysis.themes import themes_by

RESULTS = Path(__file__).parent / "results"
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
              Path("../shared/data"))


def uci() -> tuple[list[str], list[str]]:
    with (SHARED / "feedback" / "en_uci_labelled_sentences.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["source"] for r in rows]


def bpic2016() -> tuple[list[str], list[str]]:
    with (SHARED / "logs" / "bpic2016_complaints.csv").open(encoding="latin-1", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [r["ComplaintTopic_EN"] for r in rows], [r["ComplaintTheme_EN"] for r in rows]


def embeddings(texts: list[str]) -> np.ndarray:
    digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    cache = RESULTS / "cache" / f"themes-{digest}.npy"
    if cache.exists():
        return np.load(cache)
    emb = embed([clean(t) for t in texts])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, emb)
    return emb


def measure(texts: list[str], truth: list[str], emb: np.ndarray, method: str) -> dict[str, Any]:
    started = time.perf_counter()
    found = themes_by(method, texts, emb)
    seconds = time.perf_counter() - started
    predicted = [0] * len(texts)
    for label, theme in enumerate(found):
        for m in theme.members:
            predicted[m] = label
    return {"k": len(found), "nmi": round(float(normalized_mutual_info_score(truth, predicted)), 3),
            "seconds": round(seconds, 1),
            "names": [{"name": t.label, "size": len(t.members), "terms": t.terms[:4]} for t in found]}


def main() -> None:
    report: dict[str, Any] = {}
    for name, (texts, truth) in {"uci_by_source": uci(), "bpic2016_by_theme": bpic2016()}.items():
        emb = embeddings(texts)
        report[name] = {"groups": len(set(truth)), "texts": len(texts),
                        "silhouette": measure(texts, truth, emb, "silhouette"),
                        "useful": measure(texts, truth, emb, "kmeans")}
        print(f"{name}: {len(texts)} texts, {len(set(truth))} known groups")
        for method in ("silhouette", "useful"):
            r = report[name][method]
            print(f"  {method:<10} k={r['k']:<3} NMI {r['nmi']:.3f}  ({r['seconds']} s)")
        for theme in report[name]["useful"]["names"]:
            print(f"     {theme['size']:>5}  {theme['name']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "themes.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
