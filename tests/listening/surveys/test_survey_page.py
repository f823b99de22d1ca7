"""The survey page without a browser: unknown tokens are 404, an empty or out-of-scale answer is refused (422)
and stores nothing, a good one is stored and shown again for correction, an expired survey takes no answer."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.listening.surveys import service as surveys
from momentos.models import Customer, Feedback
from tests.conftest import OrgHandle
from tests.listening.helpers import delivery_survey, opted_in


def _token(db: Session, org: OrgHandle) -> tuple[str, int]:
    now = utcnow()
    survey = delivery_survey(db, org.id, now)
    ana: Customer = opted_in(db, org.id, "ana", email="ana@example.com", language="en", now=now)
    invitation = surveys.invite(db, org.id, survey, ana.id, "page-test", now)
    assert invitation is not None
    token = surveys.link_token_of(db, invitation)
    assert token is not None
    return token, invitation.id


def test_the_survey_page_checks_and_stores_answers(db: Session, client: TestClient, org: OrgHandle) -> None:
    token, invitation_id = _token(db, org)
    assert client.get("/f/not-a-token").status_code == 404
    page = client.get(f"/f/{token}")
    assert page.status_code == 200 and '<html lang="en">' in page.text and "Would you recommend us?" in page.text
    assert "noindex" in page.headers["x-robots-tag"]
    assert client.post(f"/f/{token}", data={}).status_code == 422
    assert client.post(f"/f/{token}", data={"q_nps": "12"}).status_code == 422
    count = db.scalar(select(func.count()).select_from(Feedback).where(Feedback.org_id == org.id))
    assert count == 0
    r = client.post(f"/f/{token}", data={"q_nps": "8", "q_comment": "Todo bien"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/f/{token}?sent=1"
    row = db.scalar(select(Feedback).where(Feedback.invitation_id == invitation_id))
    assert row is not None and (row.nps, row.text) == (8, "Todo bien")
    again = client.get(f"/f/{token}?sent=1&lang=es")
    assert "Gracias" in again.text and 'value="8" checked' in again.text  # shown again, to correct


def test_an_expired_survey_takes_no_answer(db: Session, client: TestClient, org: OrgHandle) -> None:
    token, invitation_id = _token(db, org)
    invitation = surveys.invitation_by_token(db, token)
    assert invitation is not None
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    assert 'data-testid="expired"' in client.get(f"/f/{token}").text
    assert client.post(f"/f/{token}", data={"q_nps": "8"}).status_code == 410
    assert db.scalar(select(Feedback).where(Feedback.invitation_id == invitation_id)) is None
