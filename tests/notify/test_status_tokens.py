"""Status and survey links are never stored: the row holds the token's digest and a nonce, the token is derived
with the server's secret; the link opens its page, revoking ends it, and staff can be shown the same link again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.app import create_app
from momentos.config import Settings
from momentos.db import LINK_KEY, make_session_factory, session_link_key
from momentos.kit.clock import utcnow
from momentos.kit.ids import link_key
from momentos.listening.surveys import service as surveys
from momentos.models import Process, StatusToken, SurveyInvitation
from momentos.notify import status_tokens
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send
from tests.listening.helpers import delivery_survey, opted_in


def _stored(db: Session, table: Any) -> str:
    """Every value of every row of ``table``, as one text."""
    db.flush()
    return " ".join(str(value) for row in db.execute(select(table)).all() for value in row)


def _process_id(client: TestClient, org: OrgHandle) -> int:
    return int(client.get("/api/v1/processes?customer=ana", headers=org.admin).json()[0]["id"])


def test_a_status_link_is_never_stored_opens_its_page_and_revoking_ends_it(db: Session, org: OrgHandle,
                                                                          client: TestClient) -> None:
    make_service(db, org.id, key="shop")
    send(db, org.id, event("ana", "signed_up", service="shop"))
    process_id = _process_id(client, org)
    link = client.post(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).json()
    token = link["token"]
    stored = _stored(db, StatusToken.__table__)
    assert token not in stored and token[:12] not in stored
    assert client.get(f"/s/{token}").status_code == 200
    again = client.post(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).json()
    assert again["token"] == token  # staff can be shown the link later: it is derived again, not stored
    assert client.delete(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).status_code == 204
    assert client.get(f"/s/{token}").status_code == 404
    fresh = client.post(f"/api/v1/processes/{process_id}/status-token", headers=org.admin).json()["token"]
    assert fresh != token and client.get(f"/s/{fresh}").status_code == 200


def test_a_copy_of_the_database_without_the_secret_opens_no_status_page(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    send(db, org.id, event("ana", "signed_up", service="shop"))
    process_id = _any_process(db, org.id)
    token = status_tokens.ensure_token(db, org.id, process_id, utcnow())
    assert status_tokens.find(db, token) is not None
    db.info[LINK_KEY] = link_key("another secret")  # what someone holding the rows but not the secret would derive
    try:
        guessed = status_tokens.active_token(db, process_id)
        assert guessed is not None and guessed != token and status_tokens.find(db, guessed) is None
    finally:
        del db.info[LINK_KEY]


def _any_process(db: Session, org_id: int) -> int:
    return int(db.scalars(select(Process.id).where(Process.org_id == org_id)).one())


def test_a_survey_link_is_never_stored_and_opens_its_page(db: Session, org: OrgHandle, client: TestClient) -> None:
    now = utcnow()
    survey = delivery_survey(db, org.id, now)
    ana = opted_in(db, org.id, "ana", email="ana@example.com", now=now)
    invitation = surveys.invite(db, org.id, survey, ana.id, "token-test", now)
    assert invitation is not None
    token = surveys.link_token_of(db, invitation)
    assert token is not None and token not in _stored(db, SurveyInvitation.__table__)
    assert client.get(f"/f/{token}").status_code == 200
    assert client.get(f"/f/{token[:-1]}x").status_code == 404


def test_entry_points_give_their_sessions_the_key_of_the_secret(engine: Any) -> None:
    with make_session_factory(engine, SecretStr("a real secret"))() as session:
        assert session_link_key(session) == link_key("a real secret")
    with make_session_factory(engine)() as session:
        assert session_link_key(session) == link_key("dev-only-secret-change-me")


def test_the_app_gives_its_request_sessions_the_key_of_its_secret(tmp_path: Path) -> None:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'app.db'}",
                        secret_key=SecretStr("app secret"))
    app = create_app(settings)
    with TestClient(app), app.state.session_factory() as session:
        assert session_link_key(session) == link_key("app secret")
