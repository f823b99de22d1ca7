"""Near-duplicates from the embeddings already computed for sentiment (copy-pasted complaints, retweets)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

THRESHOLD = 0.97
"""Cosine similarity above which two comments count as the same text (e5 puts paraphrases around 0.9)."""


def near_duplicates(embeddings: npt.NDArray[np.float32], threshold: float = THRESHOLD,
                    block: int = 1024) -> list[int]:
    """For each row, the index of the first earlier row it nearly duplicates, or its own index."""
    emb = np.asarray(embeddings, dtype=np.float32)
    first = list(range(len(emb)))
    for start in range(0, len(emb), block):
        sims = emb[start:start + block] @ emb[:start + block].T
        for offset, row in enumerate(sims):
            i = start + offset
            hits = np.flatnonzero(row[:i] >= threshold)
            if len(hits):
                first[i] = first[int(hits[0])]
    return first
