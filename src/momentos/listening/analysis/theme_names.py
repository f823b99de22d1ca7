"""Readable theme names: the most central, most distinctive 2–4-word phrase of a theme's texts, in their language.

Each text is tokenised without URLs, @mentions, ``#``, HTML entities (``&amp;`` → nothing, a stray ``amp``
dropped), numbers and broken tokens (``doesn``, ``t``), and every word singularised with simple Spanish and English
rules. Candidate phrases are runs of 2–4 words that neither start nor end with a function word; a phrase is scored

    score = share of the theme's texts containing it × precision (its share in the theme over its share overall)
            × centrality (mean similarity of those texts to the theme's centroid)

and must occur in at least two texts (else the best phrase of any one text, the most central first).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from momentos.listening.analysis.stopwords import SPANISH, stop_words

MAX_WORDS = 4
SINGLE_WORD_PENALTY = 0.25
"""A single word is chosen only when it scores four times the best phrase (phrases read better)."""
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]{2,8});", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\S")
"""Words (with inner apostrophes, so ``doesn't`` stays one token) and, as breaks, any other character."""
ENTITY_WORDS = frozenset({"amp", "quot", "lt", "gt", "nbsp", "apos"})
_SPANISH_PLURALS = (("ciones", "ción"), ("siones", "sión"), ("ores", "or"), ("ales", "al"), ("ades", "ad"),
                    ("ones", "ón"), ("ces", "z"))
_ENGLISH_HINTS = frozenset({"the", "and", "is", "was", "my", "i", "it", "to", "of", "for", "you", "with", "this",
                            "not", "they", "we", "on", "have", "were", "are", "but", "at", "be"})


def tokens(text: str) -> list[str | None]:
    """Lower-case words of ``text``; None where a phrase must break (punctuation, numbers, dropped tokens)."""
    text = _ENTITY.sub(" , ", _HANDLE.sub(" , ", _URL.sub(" , ", text))).replace("#", " ")
    out: list[str | None] = []
    for raw in _TOKEN.findall(text.lower()):
        word = raw.replace("’", "'")
        broken = not word[0].isalpha() or "'" in word or word in ENTITY_WORDS or len(word) < 2
        out.append(None if broken else word)
    return out


def language(texts: Sequence[str]) -> str:
    """``es`` or ``en``: which language's function words the texts use more."""
    es = en = 0
    for text in texts:
        words = [w for w in tokens(text) if w]
        es += sum(w in SPANISH and w not in _ENGLISH_HINTS for w in words)
        en += sum(w in _ENGLISH_HINTS for w in words)
    return "es" if es > en else "en"


def singular(word: str, lang: str) -> str:
    """The singular of a plural noun or adjective by simple rules (``vuelos`` → ``vuelo``, ``bags`` → ``bag``)."""
    if len(word) < 4 or not word.endswith("s"):
        return word
    if lang == "es":
        for plural, one in _SPANISH_PLURALS:
            if word.endswith(plural):
                return word[:-len(plural)] + one
        return word[:-1] if word[-2] in "aeiouáéó" else word
    if word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def _phrases(words: list[str | None], lang: str, stops: frozenset[str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    runs: list[list[str]] = [[]]
    for w in words:
        if w is None:
            runs.append([])
        else:
            runs[-1].append(w)
    for run in runs:
        for i, first in enumerate(run):
            if first in stops or len(first) < 3:
                continue
            for j in range(i, min(i + MAX_WORDS, len(run))):
                last = run[j]
                if last not in stops and len(last) >= 3:
                    out.add(tuple(singular(w, lang) if w not in stops else w for w in run[i:j + 1]))
    return out


def name_themes(units: Sequence[str], embeddings: npt.NDArray[np.float32] | None,
                assignment: npt.NDArray[np.int_]) -> dict[int, str]:
    """A name for each cluster of ``assignment`` (``embeddings``: centred and normalised rows of ``units``; without
    them every text counts as central)."""
    stops = stop_words()
    clusters = sorted(set(assignment.tolist()))
    per_text: list[set[tuple[str, ...]]] = []
    langs: dict[int, str] = {c: language([units[i] for i in np.flatnonzero(assignment == c).tolist()])
                             for c in clusters}
    for unit, c in zip(units, assignment.tolist(), strict=True):
        per_text.append(_phrases(tokens(unit), langs[c], stops))
    overall: Counter[tuple[str, ...]] = Counter(p for found in per_text for p in found)
    names: dict[int, str] = {}
    for c in clusters:
        members = np.flatnonzero(assignment == c)
        near = np.ones(len(members)) if embeddings is None else _closeness(embeddings[members])
        texts_of: defaultdict[tuple[str, ...], list[float]] = defaultdict(list)
        for row, i in enumerate(members.tolist()):
            for p in per_text[i]:
                texts_of[p].append(float(near[row]))
        names[c] = (_best(texts_of, overall, len(members), len(units), floor=2 if len(members) >= 4 else 1)
                    or _best(texts_of, overall, len(members), len(units), floor=1) or f"#{c + 1}")
    return names


def _closeness(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    centroid = rows.mean(axis=0)
    out: npt.NDArray[np.float64] = (rows @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))).astype(float)
    return out


def _best(texts_of: dict[tuple[str, ...], list[float]], overall: Counter[tuple[str, ...]], size: int,
          total: int, *, floor: int) -> str | None:
    """The best phrase found in at least ``floor`` of the theme's texts."""
    best, best_score = None, 0.0
    for phrase, sims in texts_of.items():
        if len(sims) < floor:
            continue
        share = len(sims) / size
        precision = len(sims) / overall[phrase] if total > size else 1.0
        centrality = max(0.05, sum(sims) / len(sims))
        score = share * precision * centrality * (SINGLE_WORD_PENALTY if len(phrase) == 1 else 1.0)
        if score > best_score or (score == best_score and best is not None and phrase < best):
            best, best_score = phrase, score
    return " ".join(best) if best else None


def near_duplicates(a: str, b: str) -> bool:
    """Two names that say the same thing: equal, one inside the other, or sharing most of their words."""
    wa, wb = set(a.split()), set(b.split())
    if not wa or not wb:
        return False
    return a == b or a in b or b in a or len(wa & wb) / len(wa | wb) >= 0.5
