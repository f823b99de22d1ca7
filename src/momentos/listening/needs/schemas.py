"""Request/response models of needs: a ranked need with its explanation, renaming and merging."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from momentos.kit.params import BigInt


class NeedUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    addressed: bool | None = None


class NeedMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: BigInt


class RankComponents(BaseModel):
    volume: float
    negativity: float
    recency: float
    breadth: float


class NeedRead(BaseModel):
    id: int
    label: str
    name: str | None
    terms: list[str]
    addressed: bool
    score: float
    components: RankComponents
    explanation: str
    count: int
    negative_share: float
    moments: list[str]
    promises: list[str]
    examples: list[str]
    trend: list[int]
    """Comments per week, oldest first (the last 8 weeks)."""
