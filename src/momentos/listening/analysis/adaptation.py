"""Whether an organization's adapter helps: the adapter and the shipped default are scored on the same
cross-validation folds of the organization's own labels, and the adapter is switched on only when it wins.

Rule: stratified k-fold (k = 5, or fewer when a label has fewer examples; repeated ``REPEATS`` times with other
shuffles below ``SMALL`` labels, where one split is noisy). The adapter's regularisation is chosen once on all the
labels (``sentiment``'s own cross-validated choice; choosing it inside every fold costs 25 times more for a
negligible bias among five values), then in each fold an adapter is fitted on the other folds and both it and the
default classify the test fold. Macro-F1 is taken over the labels the organization uses (a ``neu`` prediction for
an organization with only neg/pos labels counts as wrong). The adapter is switched on when its mean macro-F1

- beats the default's on the same folds by at least ``MARGIN`` (0.02) and by twice the standard error of the
  fold-wise gains (a one-sided test at about 2.5 %): a wrong switch-on costs more than a missed one — it changes
  every analysed text of the organization; and
- beats guessing by the same kind of margin: guessing with the labels' own frequencies scores 1/k macro-F1 on k
  labels in expectation. An adapter not clearly above it learned nothing (labels unrelated to the texts), even
  when the default does worse still by predicting labels in other proportions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from momentos.listening.analysis import sentiment
from momentos.listening.analysis.sentiment import LABELS, MIN_PER_CLASS, classify, fit_adapter, load_adapter

MARGIN = 0.02
FOLDS = 5
REPEATS = 3
SMALL = 200
MIN_LABELS = 30
"""Fewer labels than this: no decision (the adapter stays off)."""


@dataclass(frozen=True)
class Verdict:
    adapter_scores: tuple[float, ...]
    """Macro-F1 of the adapter in each fold (``repeats`` × ``folds_per_repeat``)."""
    default_scores: tuple[float, ...]
    """Macro-F1 of the default on the same folds."""
    labels: int
    classes: int
    repeats: int
    c: float
    """The adapter's inverse regularisation (chosen on all labels)."""

    @property
    def adapter_f1(self) -> float:
        return float(np.mean(self.adapter_scores))

    @property
    def default_f1(self) -> float:
        return float(np.mean(self.default_scores))

    @property
    def chance(self) -> float:
        return 1.0 / self.classes

    def _margin(self, scores: npt.NDArray[np.float64]) -> float:
        """``MARGIN``, or twice the standard error of the mean of ``scores`` when larger (repeated folds are not
        independent: the error counts one repeat's folds only)."""
        per_repeat = max(2, len(scores) // self.repeats)
        return max(MARGIN, 2.0 * float(np.std(scores, ddof=1)) / float(np.sqrt(per_repeat)))

    @property
    def switch_on(self) -> bool:
        ours, theirs = np.array(self.adapter_scores), np.array(self.default_scores)
        gain = float(np.mean(ours - theirs))
        return (gain >= self._margin(ours - theirs)
                and float(np.mean(ours)) - self.chance >= self._margin(ours))


def macro_f1(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(truth), list(predicted), labels=list(classes), average="macro", zero_division=0))


def _predict(embeddings: npt.NDArray[np.float32], adapter: bytes | None) -> list[str]:
    return [label for label, _ in classify(embeddings, load_adapter(adapter) if adapter is not None else None)]


def usable(labels: Sequence[str]) -> list[str]:
    """The labels an adapter can learn: those with at least ``MIN_PER_CLASS`` examples, in ``LABELS`` order."""
    counts = Counter(labels)
    return [lab for lab in LABELS if counts[lab] >= MIN_PER_CLASS]


def cross_validate(embeddings: npt.NDArray[np.float32], labels: Sequence[str], seed: int = 0) -> Verdict | None:
    """Both scores on the same folds; None when the labels cannot be split (under ``MIN_LABELS``, one label)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    classes = usable(labels)
    keep = np.array([lab in classes for lab in labels], dtype=bool)
    x = np.asarray(embeddings, dtype=np.float32)[keep] if len(labels) else np.zeros((0, 0), np.float32)
    y = np.array([lab for lab in labels if lab in classes])
    if len(y) < MIN_LABELS or len(classes) < 2:
        return None
    folds = min(FOLDS, min(Counter(y.tolist()).values()))
    repeats = REPEATS if len(y) < SMALL else 1
    c = sentiment._choose_c(x, np.array([classes.index(lab) for lab in y.tolist()]), tuple(classes))
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    ours, default = [], []
    for train, test in splitter.split(x, y):
        if len(set(y[train].tolist())) < 2:
            continue
        adapter = fit_adapter(x[train], y[train].tolist(), c=c)
        ours.append(macro_f1(y[test], _predict(x[test], adapter), classes))
        default.append(macro_f1(y[test], _predict(x[test], None), classes))
    if not ours:
        return None
    return Verdict(adapter_scores=tuple(ours), default_scores=tuple(default), labels=len(y),
                   classes=len(classes), repeats=repeats, c=c)
