"""The bulk road of a first XES import stores exactly what the streaming road stores, and steps aside otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.catalog.schemas import TouchpointCreate
from momentos.catalog.service import create_touchpoint
from momentos.customers import service as customers_service
from momentos.db import make_session_factory, unit_of_work
from momentos.errors import ImportFailed
from momentos.imports.readers import ImportOptions
from momentos.imports.service import ImportReport, import_file
from momentos.models import Customer, Event, Organization, Process, Service
from tests.conftest import DATA, OrgHandle, make_org
from tests.events.test_xes_import import counts, event, trace, write_xes
from tests.factories import REACTIONS, make_service

# activity → moment, so that the imports move processes through moments (stays, cycles) on both roads
MOMENTS: dict[str, dict[str, str]] = {
    "running-example.xes": {"register request": "first_contact", "examine thoroughly": "consideration",
                            "examine casually": "consideration", "decide": "purchase", "pay compensation": "use",
                            "reject request": "loyalty", "reinitiate request": "first_contact"},
    "helpdesk.xes.gz": {"Assign seriousness": "first_contact", "Take in charge ticket": "support",
                        "Resolve ticket": "use", "Closed": "loyalty", "Wait": "support"},
    "receipt_coselog.xes.gz": {"Confirmation of receipt": "first_contact", "T02 Check confirmation of receipt":
                               "consideration", "T04 Determine confirmation of receipt": "purchase",
                               "T10 Determine necessity to stop indication": "use"},
    "roadtraffic_100traces.xes": {"Create Fine": "first_contact", "Send Fine": "consideration",
                                  "Payment": "purchase", "Send for Credit Collection": "support"},
}


def stored(db: Session, org_id: int) -> tuple[list[tuple[Any, ...]], ...]:
    """Everything an import writes, without the row ids and creation times: events (with their customer, service
    and process keys), processes and customers, sorted."""
    events = db.execute(
        select(Event.message_id, Customer.external_id, Service.key, Process.reference, Event.type, Event.activity,
               Event.channel, Event.moment, Event.stay_seq, Event.stay_cycle, Event.initiator, Event.source,
               Event.timestamp, Event.properties)
        .join(Customer, Customer.id == Event.customer_id).outerjoin(Service, Service.id == Event.service_id)
        .outerjoin(Process, Process.id == Event.process_id).where(Event.org_id == org_id)).all()
    procs = db.execute(
        select(Process.reference, Customer.external_id, Process.current_moment, Process.entered_at, Process.cycle,
               Process.moment_seq, Process.last_move_at, Process.started_at)
        .join(Customer, Customer.id == Process.customer_id).where(Process.org_id == org_id)).all()
    people = db.execute(
        select(Customer.external_id, Customer.first_seen_at, Customer.preferred_channels, Customer.do_not_contact,
               Customer.traits, Customer.account_traits, Customer.name, Customer.email, Customer.language,
               Customer.timezone).where(Customer.org_id == org_id)).all()
    return (sorted((*row[:-1], json.dumps(row[-1], sort_keys=True)) for row in events),
            sorted(tuple(row) for row in procs), sorted(json.dumps(list(row), default=str) for row in people))


def service_with_moments(db: Session, org_id: int, name: str) -> None:
    make_service(db, org_id, "svc", touchpoints=MOMENTS[name])


# receipt declares <global> defaults for trace attributes some traces lack: r4pm fills them in, so it is streamed
BULK = {"running-example.xes": True, "helpdesk.xes.gz": True, "receipt_coselog.xes.gz": False,
        "roadtraffic_100traces.xes": True}


@pytest.mark.parametrize("name", list(MOMENTS))
def test_bulk_and_streaming_roads_store_the_same_rows(db: Session, name: str) -> None:
    fast, slow = make_org(db), make_org(db)
    for handle in (fast, slow):
        service_with_moments(db, handle.id, name)
    bulk = import_file(db, fast.id, DATA / name, ImportOptions(service="svc"), reactions=REACTIONS)
    streamed = import_file(db, slow.id, DATA / name, ImportOptions(service="svc", bulk=False), reactions=REACTIONS)
    assert (bulk.bulk, streamed.bulk) == (BULK[name], False)
    assert bulk.model_dump(exclude={"seconds", "bulk"}) == streamed.model_dump(exclude={"seconds", "bulk"})
    fast_rows, slow_rows = stored(db, fast.id), stored(db, slow.id)
    assert fast_rows == slow_rows
    events, procs, people = fast_rows
    assert len(events) == bulk.accepted > 0
    assert len(people) == bulk.cases
    assert any(row[8] is not None for row in events), "some events open a stay"
    assert len(procs) == bulk.cases


def test_lifecycle_option_is_applied_the_same_way(db: Session, tmp_path: Path) -> None:
    fast, slow = make_org(db), make_org(db)
    path = write_xes(tmp_path, trace("c1", event("W_call", "2012-01-01T10:00:00Z",
                                                 '<string key="lifecycle:transition" value="START"/>'),
                                     event("W_call", "2012-01-01T10:15:00Z",
                                           '<string key="lifecycle:transition" value=" Complete "/>'),
                                     event("A_note", "2012-01-01T10:20:00"),
                                     event("A_note", "2012-01-01T10:20:00")))
    options = ImportOptions(lifecycle="complete")
    bulk = import_file(db, fast.id, path, options, reactions=REACTIONS)
    streamed = import_file(db, slow.id, path, ImportOptions(lifecycle="complete", bulk=False), reactions=REACTIONS)
    assert bulk.bulk and (bulk.events_read, bulk.skipped_lifecycle, bulk.accepted) == (4, 1, 3)
    assert bulk.model_dump(exclude={"seconds", "bulk"}) == streamed.model_dump(exclude={"seconds", "bulk"})
    assert stored(db, fast.id) == stored(db, slow.id)


def test_a_reimport_takes_the_general_road_and_adds_nothing(db: Session, org: OrgHandle) -> None:
    first = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(), reactions=REACTIONS)
    again = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(), reactions=REACTIONS)
    assert first.bulk and not again.bulk
    assert (again.accepted, again.duplicates) == (0, 42)
    assert counts(db, org.id) == (42, 0, 6)


def test_cases_that_already_have_a_process_take_the_general_road(db: Session, org: OrgHandle,
                                                                 tmp_path: Path) -> None:
    make_service(db, org.id, "svc", touchpoints={"open": "first_contact", "close": "use"})
    early = write_xes(tmp_path, trace("c1", event("open", "2024-01-01T10:00:00Z")), name="early.xes")
    later = write_xes(tmp_path, trace("c1", event("close", "2024-01-02T10:00:00Z"))
                      + trace("c2", event("open", "2024-01-02T11:00:00Z")), name="later.xes")
    assert import_file(db, org.id, early, ImportOptions(service="svc"), reactions=REACTIONS).bulk
    report = import_file(db, org.id, later, ImportOptions(service="svc"), reactions=REACTIONS)
    assert not report.bulk and report.accepted == 2
    c1 = db.scalars(select(Process).where(Process.org_id == org.id, Process.reference == "c1")).one()
    assert (c1.current_moment, c1.moment_seq) == ("use", 2)


def test_services_with_status_notices_take_the_general_road(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, "svc", touchpoints={})
    create_touchpoint(db, org.id, "svc", TouchpointCreate(moment="delivery", channel="email",
                                                          activities=["decide"], initiator="company"),
                                                              actor=Actor.cli("tests"))
    report = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(service="svc"), reactions=REACTIONS)
    assert not report.bulk and report.accepted == 42


def test_bad_values_are_reported_by_line_after_the_fast_reader_declines(db: Session, org: OrgHandle,
                                                                        tmp_path: Path) -> None:
    """r4pm would store 0 for the bad int and go on; the import falls back and names the line instead."""
    path = write_xes(tmp_path, trace("c1", event("a", "2024-01-01T10:00:00Z"),
                                     event("b", "2024-01-01T11:00:00Z", '<int key="n" value="x5"/>')))
    with pytest.raises(ImportFailed) as failed:
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert failed.value.line is not None and "'x5' is not a valid int" in failed.value.message
    assert counts(db, org.id) == (0, 0, 0)


def test_missing_attributes_stay_missing_when_the_log_declares_global_defaults(db: Session, org: OrgHandle,
                                                                             tmp_path: Path) -> None:
    """r4pm fills a missing attribute with its <global> default; pm4py and the streaming road leave it out."""
    globals_ = ('<global scope="trace"><string key="group" value="UNKNOWN"/></global>'
                '<global scope="event"><string key="org:resource" value="UNKNOWN"/></global>')
    path = write_xes(tmp_path, globals_ + trace("c1", event("a", "2024-01-01T10:00:00Z",
                                                           '<string key="org:resource" value="ann"/>'),
                                                attrs='<string key="group" value="g1"/>')
                     + trace("c2", event("a", "2024-01-01T11:00:00Z")))
    report = import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert not report.bulk and report.accepted == 2
    props = db.scalars(select(Event.properties).where(Event.org_id == org.id).order_by(Event.timestamp)).all()
    assert (props[0]["case:group"], props[0]["org:resource"]) == ("g1", "ann")
    assert "case:group" not in props[1] and "org:resource" not in props[1]


def test_a_trace_without_a_case_id_is_reported_even_with_a_global_default(db: Session, org: OrgHandle,
                                                                         tmp_path: Path) -> None:
    path = write_xes(tmp_path, '<global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>'
                     + trace("c1", event("a", "2024-01-01T10:00:00Z"))
                     + "<trace>" + event("b", "2024-01-01T11:00:00Z") + "</trace>")
    with pytest.raises(ImportFailed) as failed:
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert "without a concept:name" in failed.value.message
    assert counts(db, org.id) == (0, 0, 0)


def test_id_attributes_that_are_not_uuids_are_kept_as_written(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    """r4pm turns a non-UUID id into the nil UUID (and says so on stderr): the streaming road keeps it."""
    path = write_xes(tmp_path, trace("c1", event("a", "2024-01-01T10:00:00Z", '<id key="ref" value="a-b-c"/>')))
    report: ImportReport = import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert not report.bulk
    assert db.scalars(select(Event.properties).where(Event.org_id == org.id)).one()["ref"] == "a-b-c"


def test_a_customer_created_meanwhile_by_another_transaction_sends_the_import_down_the_general_road(
        engines: dict[str, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the bulk road writes new customers with COPY and ids drawn beforehand: a customer another
    transaction commits between the lookup and the COPY fails it, and the import is redone by the general road."""
    engine = engines["postgresql"]
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        make_service(session, org.id, "svc", touchpoints={})
    real_lookup, raced = customers_service._lookup, []

    def lookup_then_race(session: Session, org_id: int, ids: list[str]) -> dict[str, int]:
        found = real_lookup(session, org_id, ids)
        if not raced:  # the first lookup is the bulk road's: another transaction creates case "3" right after it
            raced.append(True)
            with unit_of_work(factory) as other:
                customers_service.resolve(other, org_id, {"3": datetime(2024, 1, 1, tzinfo=UTC)})
        return found

    monkeypatch.setattr(customers_service, "_lookup", lookup_then_race)
    try:
        with unit_of_work(factory) as session:
            report = import_file(session, org.id, DATA / "running-example.xes", ImportOptions(service="svc"),
                                 reactions=REACTIONS)
        assert raced and not report.bulk
        assert report.accepted == 42
        with unit_of_work(factory) as session:
            assert counts(session, org.id) == (42, 6, 6)
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Organization).where(Organization.id == org.id))
