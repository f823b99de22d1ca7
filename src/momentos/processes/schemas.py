from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class StayRead(BaseModel):
    seq: int
    moment: str
    cycle: int
    entered_at: datetime
    left_at: datetime | None


class ProcessRead(BaseModel):
    id: int
    service: str
    customer: str
    reference: str
    current_moment: str | None
    next_moment: str | None
    entered_at: datetime | None
    cycle: int
    event_count: int
    started_at: datetime
    last_event_at: datetime | None
    history: list[StayRead] | None = None
