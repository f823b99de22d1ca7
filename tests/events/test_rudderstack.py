"""The Segment door as the real ``rudder-sdk-python`` client uses it: gzip bodies, Basic auth, traits in context."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rudderstack.analytics import Client as RudderClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.models import Customer, CustomerAlias, Event
from tests.conftest import LiveServer, OrgHandle
from tests.events.test_segment_api import FlakyProxy, counts

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)



def rudder_client(write_key: str, data_plane_url: str, errors: list[Any], **options: Any) -> RudderClient:
    """The client as documented: write key and data plane URL; gzip is on by default."""
    def on_error(error: Exception, batch: list[Any]) -> None:
        errors.append(error)

    options.setdefault("upload_interval", 0.05)
    return RudderClient(write_key, host=data_plane_url, on_error=on_error, **options)


JOURNEY_MESSAGES = 4
ONE_BATCH = {"upload_size": JOURNEY_MESSAGES, "upload_interval": 0.5}
"""The journey as one HTTP batch even on a loaded machine: the consumer sends once it holds every message."""


def send_journey(client: RudderClient) -> None:
    client.identify("ana", {"email": "ana@example.com", "plan": "pro"}, context={"locale": "en-US"},
                    timestamp=T0, message_id="r-i1")
    client.page(anonymous_id="anon-7", name="Home", timestamp=T0, message_id="r-p1")
    client.track("ana", "order_placed", {"process": "order-1"}, anonymous_id="anon-7", timestamp=T0,
                 message_id="r-t1")
    client.screen("ana", name="Orders", timestamp=T0, message_id="r-s1")
    client.flush()


def test_replaying_a_batch_through_the_rudderstack_client_changes_no_counts(live_server: LiveServer,
                                                                            shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    after: list[tuple[int, int, int]] = []
    with FlakyProxy(live_server.url) as recorder:
        client = rudder_client(shop_org.keys.write_key, recorder.url, errors, **ONE_BATCH)
        for _ in range(2):  # the same messages (ids, times) twice, as a client resends after a lost answer
            send_journey(client)
            after.append(live_server.read(lambda s: counts(s, shop_org.id)))
        client.join()
    assert errors == []
    assert recorder.client_statuses == [200, 200]
    # The track naming both ids makes anon-7 an alias of ana (profiles are applied before events), so the page
    # is ana's too: one customer, with the order-1 process and her default one.
    assert after == [(3, 1, 2), (3, 1, 2)]


def test_rudderstack_identify_traits_from_context_and_track_aliases_the_anonymous_id(
        live_server: LiveServer, shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    client = rudder_client(shop_org.keys.write_key, live_server.url, errors, **ONE_BATCH)
    send_journey(client)
    client.join()

    def stored(s: Session) -> tuple[Any, ...]:
        ana = s.scalars(select(Customer).where(Customer.org_id == shop_org.id,
                                               Customer.external_id == "ana")).one()
        alias = s.scalar(select(CustomerAlias.alias).where(CustomerAlias.customer_id == ana.id))
        rows = s.execute(select(Event.message_id, Event.activity, Event.channel, Event.source)
                         .where(Event.org_id == shop_org.id).order_by(Event.message_id)).all()
        return ana.email, ana.traits.get("plan"), ana.language, alias, [tuple(r) for r in rows]

    email, plan, language, alias, rows = live_server.read(stored)
    assert errors == []
    assert (email, plan, language, alias) == ("ana@example.com", "pro", "en", "anon-7")
    assert rows == [("r-p1", "page:Home", "web", "segment"), ("r-s1", "screen:Orders", "app", "segment"),
                    ("r-t1", "order_placed", "web", "segment")]  # RudderStack's root "channel": "server" is ignored


def test_rudderstack_client_retrying_after_two_503s_stores_the_event_once(live_server: LiveServer,
                                                                          shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    with FlakyProxy(live_server.url, failures=2) as proxy:
        client = rudder_client(shop_org.keys.write_key, proxy.url, errors)
        client.track("ana", "order_placed", {"process": "order-1"}, timestamp=T0)
        client.flush()
        client.join()
    assert errors == []
    assert proxy.client_statuses == [503, 503, 200]
    assert proxy.upstream_statuses == [200, 200, 200]
    assert live_server.read(lambda s: counts(s, shop_org.id)) == (1, 1, 1)


def test_rudderstack_client_does_not_resend_a_400_and_nothing_is_written(live_server: LiveServer,
                                                                         shop_org: OrgHandle) -> None:
    errors: list[Any] = []
    with FlakyProxy(live_server.url) as recorder:
        client = rudder_client(shop_org.keys.write_key, recorder.url, errors, upload_size=2, upload_interval=0.5)
        client.track("ana", "signed_up", timestamp=T0)
        client.track("ana", "order_placed", {"moment": "checkout"}, timestamp=T0)
        client.flush()
        client.join()
    assert recorder.client_statuses == [400]
    assert [(getattr(e, "status", None), getattr(e, "code", None)) for e in errors] == [(400, "unknown_moment")]
    assert live_server.read(lambda s: counts(s, shop_org.id)) == (0, 0, 0)
