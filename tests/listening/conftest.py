from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.notify.receivers import Inbox, smtp_server
from tests.web.conftest import artifacts, browser_context, chromium, page

__all__ = ["artifacts", "browser_context", "chromium", "inbox", "page"]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def worker_factory(db: Session) -> sessionmaker[Session]:
    """The worker's own transactions, as savepoints of the test's rolled-back transaction."""
    return sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False,
                        autoflush=False)
