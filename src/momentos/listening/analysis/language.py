"""Language detection (es / en / und) with py3langid (BSD-3-Clause; its naive-Bayes model ships in the wheel as
npz, no pickle). Loaded once per process, on first use."""

from __future__ import annotations

import threading
from typing import Any

LANGUAGES = ("es", "en")
MIN_CONFIDENCE = 0.6
"""Below this normalised es-vs-en probability the text is ``und`` (too short, or mixed)."""
FOREIGN_CONFIDENCE = 0.9
"""A text that the full model gives to another language with this confidence is ``und``."""
FOREIGN_MIN_CHARS = 40

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _identifier(restricted: bool) -> Any:
    key = "esen" if restricted else "all"
    with _lock:
        if key not in _models:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            if restricted:
                ident.set_languages(list(LANGUAGES))
            _models[key] = ident
        return _models[key]


def detect_language(text: str) -> str:
    """``es``, ``en`` or ``und`` for a cleaned text."""
    lang, confidence = _identifier(True).classify(text)
    if confidence < MIN_CONFIDENCE:
        return "und"
    if len(text) >= FOREIGN_MIN_CHARS:
        other, other_confidence = _identifier(False).classify(text)
        if other not in LANGUAGES and other_confidence >= FOREIGN_CONFIDENCE:
            return "und"
    return str(lang)
