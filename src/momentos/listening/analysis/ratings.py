"""Labels for free: a customer's own score on a comment says whether the comment is negative, neutral or positive.

Two kinds of score exist. A survey answer (NPS or CSAT, given by the customer together with the comment) is read
as the customer's own label and always wins. An imported ``rating`` (a review's stars, a 0–10 grade: see
``feedback/csv_import.py``) is read through its source's scale, chosen per source on the listening configuration
page:

===========  ==========================================  =====================
scale        negative / neutral / positive                ratings read as
===========  ==========================================  =====================
``stars``    1–2 / 3 / 4–5                               1 to 5 stars
``ten``      0–6 / 7–8 / 9–10 (as NPS)                   a grade from 0 to 10
``off``      the source's ratings are not used           —
``auto``     ``stars`` when no rating of the source is above 5, else ``ten`` (the default)
===========  ==========================================  =====================

Fractional ratings are rounded half up (4.5 stars → 5); values outside the scale are clipped to it, so every
rating of a used source gives a label.
"""

from __future__ import annotations

import math

SCALES = ("auto", "stars", "ten", "off")
DEFAULT_SCALE = "auto"


def survey_label(nps: int | None, csat: int | None) -> str | None:
    """The label of a survey answer: NPS 0–6 / 7–8 / 9–10, CSAT 1–2 / 3 / 4–5 (NPS first)."""
    if nps is not None:
        return "neg" if nps <= 6 else "neu" if nps <= 8 else "pos"
    if csat is not None:
        return "neg" if csat <= 2 else "neu" if csat == 3 else "pos"
    return None


def resolve(scale: str, highest: float | None) -> str:
    """The scale a source's ratings are read with: ``auto`` becomes ``stars`` or ``ten`` from its highest rating."""
    if scale in ("stars", "ten", "off"):
        return scale
    return "stars" if highest is not None and highest <= 5 else "ten"


def rating_label(rating: float | None, scale: str) -> str | None:
    """The label of an imported rating on a resolved scale (``stars``, ``ten``; None for ``off``)."""
    if rating is None or scale not in ("stars", "ten"):
        return None
    value = math.floor(rating + 0.5)
    if scale == "stars":
        value = min(5, max(1, value))
        return "neg" if value <= 2 else "neu" if value == 3 else "pos"
    value = min(10, max(0, value))
    return "neg" if value <= 6 else "neu" if value <= 8 else "pos"


def label_of(nps: int | None, csat: int | None, rating: float | None, scale: str) -> str | None:
    """The comment's label: the survey answer when there is one (the customer's own), else its rating's."""
    return survey_label(nps, csat) or rating_label(rating, scale)
