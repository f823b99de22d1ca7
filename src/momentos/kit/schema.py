"""JSON-schema helpers for the request and response models.

``OneOf(values)`` marks a ``str`` field as a closed set in the OpenAPI document (``"enum": [...]``) built from the
code's own tuple or ``Literal`` (``get_args(Literal)``), so the list is never copied; the field keeps validating as
it did: a value outside the set is still refused by the domain rule that owns it, with its own error code, and a
response never fails on a stored value.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import WithJsonSchema


def one_of(values: Iterable[str]) -> WithJsonSchema:
    """``Annotated[str, one_of(CHANNELS)]``: a string whose allowed values are ``values``, in that order."""
    return WithJsonSchema({"type": "string", "enum": list(values)})
