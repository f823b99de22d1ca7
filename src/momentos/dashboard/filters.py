"""What a dashboard view is filtered by: period [start, end), channel, customer segment, and the moments shown (the
service's own journey model, or the 8 contact moments through the model's mapping)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlencode

from momentos.analytics.schemas import AnalyticsQuery

MomentView = Literal["model", "canonical"]


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class MapFilters:
    start: date | None = None
    end: date | None = None
    """Inclusive last day (the query uses the next midnight as its exclusive end)."""
    channel: str | None = None
    view: MomentView = "model"
    segment: str | None = None
    """Key of a customer segment: only its members' events and processes."""

    @classmethod
    def parse(cls, start: str | None, end: str | None, channel: str | None, view: str | None,
              segment: str | None = None) -> MapFilters:
        return cls(parse_day(start), parse_day(end), (channel or "").strip()[:32] or None,
                   "canonical" if view == "canonical" else "model", (segment or "").strip()[:64] or None)

    def query(self, service: str, by: Literal["activity", "moment"] = "moment") -> AnalyticsQuery:
        start = datetime.combine(self.start, time(), tzinfo=UTC) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC) if self.end else None
        return AnalyticsQuery(service=service, channel=self.channel, start=start, end=end, segment=self.segment,
                              by=by, view=self.view)

    def params(self) -> dict[str, str]:
        values = {"start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end
                  else "", "channel": self.channel or "", "view": self.view if self.view != "model" else "",
                  "segment": self.segment or ""}
        return {k: v for k, v in values.items() if v}

    def qs(self, **extra: str) -> str:
        return urlencode({**self.params(), **extra})
