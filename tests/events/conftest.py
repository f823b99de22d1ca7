"""Fixtures shared by the ingestion door tests."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, OrgHandle
from tests.factories import make_service


@pytest.fixture
def shop_org(live_server: LiveServer) -> OrgHandle:
    """A fresh organization on the live server with the test shop service (touchpoints → moments)."""
    org = live_server.new_org()
    live_server.read(lambda s: make_service(s, org.id))
    return org
