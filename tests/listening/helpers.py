"""Test data for listening: a shop whose ``delivery`` moment has a survey attached, customers who opted in."""

from __future__ import annotations

from datetime import datetime
from email.message import Message

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.customers import service as customers
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate
from momentos.models import Consent, Customer, Notification, Survey, SurveyInvitation
from tests.factories import event, make_service, send

QUESTIONS = [
    {"key": "nps", "kind": "nps", "label": {"es": "¿Nos recomendarías?", "en": "Would you recommend us?"}},
    {"key": "csat", "kind": "csat", "label": {"es": "¿Qué tal la entrega?", "en": "How was the delivery?"}},
    {"key": "ces", "kind": "ces", "label": {"es": "¿Fue fácil?", "en": "Was it easy?"}},
    {"key": "reliability", "kind": "perception",
     "label": {"es": "Cumplieron lo prometido", "en": "They did what they promised"}},
    {"key": "comment", "kind": "text", "label": {"es": "¿Algo más?", "en": "Anything else?"}},
]


def delivery_survey(session: Session, org_id: int, now: datetime, **kwargs: object) -> Survey:
    make_service(session, org_id, key="shop")
    data = SurveyCreate.model_validate({"key": "after-delivery", "title_es": "Tu entrega",
                                        "title_en": "Your delivery", "service": "shop", "moment": "delivery",
                                        "questions": QUESTIONS, **kwargs})
    return surveys.create_survey(session, org_id, data, now, actor=Actor.cli("tests"))


def opted_in(session: Session, org_id: int, external_id: str, *, email: str, language: str = "es",
             now: datetime) -> Customer:
    send(session, org_id, event(external_id, "signed_up", service="shop"))
    c = customers.get_customer(session, org_id, external_id)
    c.email, c.language = email, language
    session.add(Consent(org_id=org_id, customer_id=c.id, channel="*", purpose="survey", granted=True,
                        updated_at=now))
    session.flush()
    return c


def invitations(session: Session, org_id: int) -> list[tuple[SurveyInvitation, Notification]]:
    session.expire_all()
    return list(session.execute(select(SurveyInvitation, Notification).join(
        Notification, Notification.id == SurveyInvitation.notification_id).where(
        SurveyInvitation.org_id == org_id).order_by(SurveyInvitation.id)).all())


def body(message: Message) -> str:
    """The decoded text of a (non-multipart) e-mail."""
    payload = message.get_payload(decode=True)
    return payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)
