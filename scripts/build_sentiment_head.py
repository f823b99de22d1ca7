"""Build the shipped sentiment head (src/momentos/listening/analysis/data/head.npz).

Trained only on data whose licence allows shipping: the team-written prototype phrases in
``data/prototypes.json`` (Apache-2.0, like the code). Each class's weight row is the normalised centroid of its
prototypes' embeddings times a temperature, so the head is the zero-shot prototype classifier written as a linear
softmax (and an adapter can stack on its logits). TASS (research-only) is never used here; it only measures.

    .venv/bin/python scripts/build_sentiment_head.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from momentos.listening.analysis.encoder import embed
from momentos.listening.analysis.sentiment import LABELS, Head, write_head

DATA = Path(__file__).resolve().parents[1] / "src/momentos/listening/analysis/data"
TEMPERATURE = 40.0
NEUTRAL_BIAS = 0.0


def main() -> None:
    protos = json.loads((DATA / "prototypes.json").read_text(encoding="utf-8"))
    rows = []
    for label in LABELS:
        centroid = embed(protos[label]).mean(axis=0)
        rows.append(centroid / np.linalg.norm(centroid))
    weights = np.vstack(rows).astype(np.float32) * TEMPERATURE
    bias = np.array([0.0, NEUTRAL_BIAS, 0.0], dtype=np.float32)
    head = Head(classes=LABELS, weights=weights, bias=bias)
    raw = write_head(head, trained_on="team-written prototypes (data/prototypes.json)",
                     temperature=str(TEMPERATURE))
    (DATA / "head.npz").write_bytes(raw)
    print(f"wrote {DATA / 'head.npz'} ({len(raw)} bytes)")


if __name__ == "__main__":
    main()
