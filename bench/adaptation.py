"""Adaptation: does an organization's adapter help, and does the cross-validation rule switch it on only then?

For each labelled set in ``../shared/data/feedback/`` — UCI sentences (en, neg/pos, CC BY 4.0) and TASS 2020 tweets
(es, neg/neu/pos; research use: it measures here and trains nothing that ships) — a held-out test part
(``sha1(id) % 5 == 0``, ~20 %) is set aside. On it we score, in macro-F1 over the set's labels:

- **default** — the shipped head;
- **adapter after n labels** (n = 100 and 1,000, sampled from the rest with ``--seeds`` seeds) — fitted on the sample
  with the regularisation the rule chose;
- **rule** — whether ``adaptation.cross_validate`` on the sample alone (what an organization has) switches it on,
  with its cross-validated scores of both, and **shipped** — what the organization then gets on the test part
  (the adapter when switched on, else the default). The rule is good when *shipped* ≥ *default* at every size.

Embeddings are cached in bench/results/cache/ (same files as bench/listening.py). Writes
bench/results/adaptation.json. Figures are distorted by the shared 2-core machine.

    .venv/bin/python bench/adaptation.py [--seeds 3] [--sizes 100 1000]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from momentos.listening.analysis import clean
from momentos.listening.analysis.adaptation import cross_validate, macro_f1
from momentos.listening.analysis.encoder import embed
from momentos.listening.analysis.sentiment import classify, fit_adapter, load_adapter

RESULTS = Path(__file__).parent / "results"
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
              Path("../shared/data"))
SETS = {"en_uci": (SHARED / "feedback" / "en_uci_labelled_sentences.csv", ("neg", "pos")),
        "es_tass": (SHARED / "feedback" / "es_tass2020_train.csv", ("neg", "neu", "pos"))}


def load(path: Path) -> tuple[list[dict[str, str]], np.ndarray]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    cache = RESULTS / "cache" / f"{path.stem}-{digest}.npy"
    if cache.exists():
        return rows, np.load(cache)
    emb = embed([clean(r["text"]) for r in rows])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, emb)
    return rows, emb


def held_out(row_id: str) -> bool:
    return int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 5 == 0


def predict(emb: np.ndarray, adapter: bytes | None) -> list[str]:
    return [label for label, _ in classify(emb, load_adapter(adapter) if adapter else None)]


def one_sample(emb: np.ndarray, truth: np.ndarray, test: np.ndarray, sample: np.ndarray,
               classes: tuple[str, ...], default: float) -> dict[str, Any]:
    started = time.perf_counter()
    labels = truth[sample].tolist()
    verdict = cross_validate(emb[sample], labels)
    decided = time.perf_counter() - started
    adapter = fit_adapter(emb[sample], labels, c=verdict.c if verdict else None)
    score = macro_f1(truth[test], predict(emb[test], adapter), classes)
    on = bool(verdict and verdict.switch_on)
    return {"adapter_test_f1": score, "switch_on": on, "shipped_test_f1": score if on else default,
            "cv_adapter_f1": verdict.adapter_f1 if verdict else None,
            "cv_default_f1": verdict.default_f1 if verdict else None, "decide_s": decided}


def run_set(name: str, seeds: int, sizes: list[int]) -> dict[str, Any]:
    path, classes = SETS[name]
    rows, emb = load(path)
    truth = np.array([r["label"] for r in rows])
    test = np.array([held_out(r["id"]) for r in rows])
    train_idx = np.flatnonzero(~test)
    default = macro_f1(truth[test], predict(emb[test], None), classes)
    out: dict[str, Any] = {"test_size": int(test.sum()), "default_test_f1": default, "sizes": {}}
    for size in sizes:
        runs = []
        for seed in range(seeds):
            sample = np.random.default_rng(seed).choice(train_idx, size=min(size, len(train_idx)), replace=False)
            runs.append(one_sample(emb, truth, test, sample, classes, default))
        out["sizes"][str(size)] = {
            "runs": runs, "adapter_test_f1": float(np.mean([r["adapter_test_f1"] for r in runs])),
            "shipped_test_f1": float(np.mean([r["shipped_test_f1"] for r in runs])),
            "switched_on": sum(r["switch_on"] for r in runs), "seeds": seeds}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    args = parser.parse_args()
    results = {name: run_set(name, args.seeds, args.sizes) for name in args.sets}
    print(f"{'set':8} {'labels':>6} {'default':>8} {'adapter':>8} {'on':>5} {'shipped':>8}  (held-out macro-F1)")
    for name, res in results.items():
        for size, s in res["sizes"].items():
            print(f"{name:8} {size:>6} {res['default_test_f1']:8.3f} {s['adapter_test_f1']:8.3f} "
                  f"{s['switched_on']:>2}/{s['seeds']:<2} {s['shipped_test_f1']:8.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "adaptation.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
