"""Request and response models of customer segments.

A segment's rule is a list of conditions, all of which a member meets. A condition names a customer attribute
(``traits.<name>``, ``account_traits.<name>``, ``language``, ``timezone`` or ``account_id``), an operator and a
value:

- ``eq`` / ``ne``: a string, number or boolean; a trait matches only a value of the same JSON type (``"2"`` is not
  ``2``); ``ne`` also matches customers without the attribute;
- ``in``: a list of strings and/or numbers (1 to 100);
- ``exists``: no value (or ``true``): the attribute is set; ``false``: it is not;
- ``gt`` / ``lt``: a number, for traits only (non-numeric values never match).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")]
Op = Literal["eq", "ne", "in", "exists", "gt", "lt"]
OPS: tuple[str, ...] = ("eq", "ne", "in", "exists", "gt", "lt")
COLUMNS: tuple[str, ...] = ("language", "timezone", "account_id")
TRAIT_PREFIXES: tuple[str, ...] = ("traits", "account_traits")
FieldName = Annotated[str, StringConstraints(
    pattern=r"^(?:language|timezone|account_id|(?:traits|account_traits)\.[A-Za-z0-9_][A-Za-z0-9_\-]{0,63})$")]
Text = Annotated[str, StringConstraints(max_length=200)]
Scalar = StrictBool | StrictInt | StrictFloat | Text
Listed = StrictInt | StrictFloat | Text
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: FieldName
    op: Op
    value: Scalar | list[Listed] | None = None

    @property
    def is_trait(self) -> bool:
        return self.field not in COLUMNS

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        v = self.value
        if self.op == "exists":
            if v is not None and not isinstance(v, bool):
                raise ValueError("exists takes no value, or true / false")
        elif self.op == "in":
            if not isinstance(v, list) or not 1 <= len(v) <= 100:
                raise ValueError("in takes a list of 1 to 100 values")
        elif self.op in ("gt", "lt"):
            if not self.is_trait:
                raise ValueError(f"{self.op} compares numbers: use it on traits.<name> or account_traits.<name>")
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"{self.op} takes a number")
        elif v is None or isinstance(v, list):
            raise ValueError(f"{self.op} takes one value")
        if not self.is_trait and self.op != "exists" and not all(isinstance(x, str) for x in _values(v)):
            raise ValueError(f"{self.field} is text: compare it with text values")
        return self


def _values(v: object) -> list[object]:
    return list(v) if isinstance(v, list) else [v]


Rule = Annotated[list[Condition], Field(min_length=1, max_length=20)]


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name_es: Name
    name_en: Name
    rule: Rule


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_es: Name | None = None
    name_en: Name | None = None
    rule: Rule | None = None


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    name_es: str
    name_en: str
    rule: list[Condition]
    created_at: datetime
    updated_at: datetime


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    external_id: str
    name: str | None


class SegmentMembers(BaseModel):
    """How many customers the segment holds now, and the first of them (by external id)."""

    key: str
    count: int
    members: list[MemberRead]
