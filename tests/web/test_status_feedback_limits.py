"""The status page's feedback form: rate-limited per link and per address with a polite translated page (429),
and the same text from the same link is stored once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.models import Process, StatusFeedback
from momentos.notify.status_tokens import ensure_token
from momentos.web.status_page import PER_ADDRESS, PER_LINK
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def _links(db: Session, org: OrgHandle, n: int) -> list[str]:
    make_service(db, org.id, key="shop")
    send(db, org.id, *(event(f"c{i}", "signed_up", service="shop") for i in range(n)))
    pids = db.scalars(select(Process.id).where(Process.org_id == org.id).order_by(Process.id)).all()
    return [ensure_token(db, org.id, pid, utcnow()) for pid in pids]


def _stored(db: Session, org: OrgHandle) -> int:
    return int(db.scalar(select(func.count()).select_from(StatusFeedback).where(StatusFeedback.org_id == org.id))
               or 0)


def test_a_burst_of_posts_on_one_link_is_throttled_with_a_polite_page(db: Session, org: OrgHandle,
                                                                      client: TestClient) -> None:
    [token] = _links(db, org, 1)
    codes = [client.post(f"/s/{token}/feedback?lang=en", data={"text": f"message {i}"}, follow_redirects=False
                         ).status_code for i in range(200)]
    burst = PER_LINK[1]
    assert codes[:burst] == [303] * burst and set(codes[burst:]) == {429}
    assert _stored(db, org) == burst
    english = client.post(f"/s/{token}/feedback?lang=en", data={"text": "once more"})
    assert english.status_code == 429 and "Please wait a few minutes" in english.text
    spanish = client.post(f"/s/{token}/feedback?lang=es", data={"text": "otra vez"})
    assert spanish.status_code == 429 and "Espera unos minutos" in spanish.text
    assert 'data-testid="throttled"' in spanish.text


def test_one_address_posting_on_many_links_is_throttled(db: Session, org: OrgHandle, client: TestClient) -> None:
    per_link, per_address = PER_LINK[1], PER_ADDRESS[1]
    links = _links(db, org, per_address // per_link + 2)
    codes = [client.post(f"/s/{token}/feedback", data={"text": f"{token[:6]} {i}"}, follow_redirects=False
                         ).status_code for token in links for i in range(per_link)]
    assert codes.count(303) == per_address and _stored(db, org) == per_address


def test_the_same_text_from_the_same_link_is_stored_once(db: Session, org: OrgHandle, client: TestClient) -> None:
    token, other = _links(db, org, 2)
    for link in (token, token, token, other):
        response = client.post(f"/s/{link}/feedback", data={"text": "  Where is my parcel?  "},
                               follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/s/{link}?sent=1"
    texts = db.scalars(select(StatusFeedback.text).where(StatusFeedback.org_id == org.id)).all()
    assert texts == ["Where is my parcel?"] * 2  # once per link


def test_an_unknown_link_is_404_before_any_limit(db: Session, org: OrgHandle, client: TestClient) -> None:
    assert client.post("/s/not-a-token/feedback", data={"text": "hi"}).status_code == 404
