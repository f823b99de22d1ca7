from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from momentos.notify.settings import NotifySettings
from tests.notify.receivers import Hooks, Inbox, smtp_server, webhook_receiver


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def notify_settings(inbox: Inbox) -> NotifySettings:
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=inbox.port, webhook_allow=["127.0.0.1/32"],
                          lease_seconds=30, backoff_base_seconds=0.0, max_attempts=3, poll_seconds=0.05,
                          public_url="https://momentos.example")


@pytest.fixture
def worker_factory(db: Session) -> sessionmaker[Session]:
    """The worker's own transactions, as savepoints of the test's rolled-back transaction."""
    return sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False,
                        autoflush=False)
