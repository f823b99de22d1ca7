"""Text hygiene before embedding: @handles and URLs out (otherwise clusters form by brand), whitespace folded."""

from __future__ import annotations

import re

MAX_CHARS = 5_000
"""Texts longer than this are still analysed: the encoder reads their first 512 tokens and flags them
``truncated`` (``encoder.py``); split reviews into sentences first to analyse every part."""

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_SENTENCE = re.compile(r"(?<=[.!?¡¿…])\s+(?=[A-ZÁÉÍÓÚÑ¡¿\"“(])|\n+")


def clean(text: str) -> str:
    """The text without @handles and URLs, whitespace folded. Raises ValueError on empty or binary input (a long
    text is kept whole: the encoder cuts it to what the model reads)."""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if _CONTROL.search(text):
        raise ValueError("text looks binary (control characters or invalid bytes)")
    out = _SPACE.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", text))).strip()
    if not any(ch.isalnum() for ch in out):
        raise ValueError("text is empty once @handles and URLs are removed")
    return out


def sentences(text: str, *, min_chars: int = 12) -> list[str]:
    """A long review split into sentences (short fragments joined to the one before)."""
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    out: list[str] = []
    for part in parts:
        if out and len(part) < min_chars:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out
