"""What the listening pages show: the feedback inbox with names instead of codes, and the needs with their moments'
names. Reads only; the queries are the listening services' own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.catalog.presets import JourneyModelDef
from momentos.listening.feedback import service as feedback
from momentos.listening.needs import service as needs
from momentos.listening.needs.schemas import NeedRead
from momentos.models import Feedback, Service

NEEDS_LIMIT = 500


class Names:
    """The organization's services and the names of their moments, loaded once per page."""

    def __init__(self, session: Session, org_id: int, lang: str) -> None:
        self.lang = lang
        self.services: dict[int, Service] = {s.id: s for s in catalog.list_services(session, org_id)}
        models: dict[str, JourneyModelDef] = {}
        for s in self.services.values():
            if s.journey_model_key not in models:
                models[s.journey_model_key] = catalog.get_journey_model(session, org_id, s.journey_model_key)
        self._models = {sid: models[s.journey_model_key] for sid, s in self.services.items()}
        self.moments: dict[str, str] = {}
        """Every moment of every service: key → name (the first service's name when two models share a key)."""
        for model in models.values():
            for m in model.moments:
                self.moments.setdefault(m.key, m.name(lang))

    def moment(self, service_id: int | None, key: str | None) -> str | None:
        if key is None:
            return None
        model = self._models.get(service_id) if service_id is not None else None
        if model is not None and model.has(key):
            return model.moment(key).name(self.lang)
        return self.moments.get(key, key)

    def service(self, service_id: int | None) -> Service | None:
        return self.services.get(service_id) if service_id is not None else None


@dataclass(frozen=True)
class InboxItem:
    feedback: Feedback
    customer: str | None
    """The customer's external id (None: anonymous)."""
    service: Service | None
    moment: str | None
    need: NeedRead | None


def need_title(need: NeedRead) -> str:
    return need.name or need.label


def listed_needs(session: Session, org_id: int, now: datetime) -> list[NeedRead]:
    """Needs with comments (addressed ones too), by score."""
    return needs.ranked(session, org_id, now, include_addressed=True, limit=NEEDS_LIMIT, only_with_comments=True)


def inbox(session: Session, org_id: int, where: feedback.FeedbackFilter, names: Names, by_id: dict[int, NeedRead],
          *, limit: int, before_id: int | None) -> list[InboxItem]:
    return [InboxItem(f, customer, names.service(f.service_id), names.moment(f.service_id, f.moment),
                      by_id.get(f.need_id) if f.need_id is not None else None)
            for f, customer in feedback.inbox(session, org_id, where, limit=limit, before_id=before_id)]
