"""XES import: real logs give the stated counts, attributes are typed, DTDs and entities are refused."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.errors import ImportFailed
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.models import Customer, Event, Process
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, make_service

NS = 'xmlns="http://www.xes-standard.org/"'


def counts(db: Session, org_id: int) -> tuple[int, int, int]:
    """(events, processes, customers) of the organization, counted in SQL."""
    def n(model: type[Event] | type[Process] | type[Customer]) -> int:
        return int(db.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)

    return n(Event), n(Process), n(Customer)


def write_xes(tmp_path: Path, body: str, name: str = "log.xes", prolog: str = "") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<log {NS}>\n{body}\n</log>\n',
                    encoding="utf-8")
    return path


def event(activity: str, when: str, *extra: str) -> str:
    return (f'<event><string key="concept:name" value="{activity}"/><date key="time:timestamp" value="{when}"/>'
            f'{"".join(extra)}</event>')


def trace(case: str, *events: str, attrs: str = "") -> str:
    return f'<trace><string key="concept:name" value="{case}"/>{attrs}\n' + "\n".join(events) + "\n</trace>"


@pytest.mark.parametrize(("name", "cases", "events"), [
    ("running-example.xes", 6, 42),
    ("roadtraffic_100traces.xes", 100, 390),
    ("helpdesk.xes.gz", 4_580, 21_348),
])
def test_real_logs_give_the_stated_cases_and_events(db: Session, org: OrgHandle, name: str, cases: int,
                                                     events: int) -> None:
    make_service(db, org.id, key="journey", touchpoints={})
    report = import_file(db, org.id, DATA / name, ImportOptions(), reactions=REACTIONS)
    assert (report.events_read, report.accepted, report.cases) == (events, events, cases)
    assert counts(db, org.id) == (events, cases, cases)


def test_receipt_log_gives_the_stated_counts_and_channels_from_case_channel(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="permits", touchpoints={})
    report = import_file(db, org.id, DATA / "receipt_coselog.xes.gz", ImportOptions(), reactions=REACTIONS)
    assert (report.accepted, report.cases) == (8_577, 1_434)
    assert counts(db, org.id) == (8_577, 1_434, 1_434)
    rows = db.execute(select(Event.channel, func.count()).where(Event.org_id == org.id)
                      .group_by(Event.channel)).all()
    assert dict(rows) == {"web": 7_478, "store": 657, "mail": 308, "email": 128, "intern": 6}


def test_reimporting_the_same_xes_adds_nothing_also_when_gzipped(db: Session, org: OrgHandle,
                                                                  tmp_path: Path) -> None:
    first = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(), reactions=REACTIONS)
    zipped = tmp_path / "running-example.xes.gz"
    zipped.write_bytes(gzip.compress((DATA / "running-example.xes").read_bytes()))
    again = import_file(db, org.id, zipped, ImportOptions(), reactions=REACTIONS)
    assert (first.accepted, again.accepted, again.duplicates) == (42, 0, 42)
    assert counts(db, org.id)[0] == 42


def test_attributes_are_typed_and_trace_attributes_prefixed_with_case(db: Session, org: OrgHandle,
                                                                      tmp_path: Path) -> None:
    path = write_xes(tmp_path, trace(
        "loan-1",
        event("A_SUBMITTED", "2011-10-01T00:38:44.546+02:00",
              '<string key="lifecycle:transition" value="COMPLETE"/>', '<string key="org:resource" value="112"/>',
              '<int key="amount" value="20000"/>', '<float key="rate" value="2.5"/>',
              '<boolean key="urgent" value="true"/>', '<date key="due" value="2011-11-01T00:00:00+01:00"/>',
              '<id key="ref" value="a-b-c"/>'),
        attrs='<string key="AMOUNT_REQ" value="20000"/><string key="channel" value="Internet"/>'))
    import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    stored = db.scalars(select(Event).where(Event.org_id == org.id)).one()
    assert stored.activity == "A_SUBMITTED"
    assert stored.timestamp.isoformat() == "2011-09-30T22:38:44.546000+00:00"
    assert stored.channel == "web"
    assert stored.properties == {
        "lifecycle:transition": "COMPLETE", "org:resource": "112", "amount": 20000, "rate": 2.5, "urgent": True,
        "due": "2011-10-31T23:00:00+00:00", "ref": "a-b-c", "case:concept:name": "loan-1",
        "case:AMOUNT_REQ": "20000", "case:channel": "Internet"}


def test_lifecycle_complete_keeps_only_complete_events(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    def lc(value: str) -> str:
        return f'<string key="lifecycle:transition" value="{value}"/>'

    path = write_xes(tmp_path, trace("c1", event("W_call", "2012-01-01T10:00:00Z", lc("SCHEDULE")),
                                     event("W_call", "2012-01-01T10:05:00Z", lc("START")),
                                     event("W_call", "2012-01-01T10:15:00Z", lc("COMPLETE")),
                                     event("A_note", "2012-01-01T10:20:00Z")))
    report = import_file(db, org.id, path, ImportOptions(lifecycle="complete"), reactions=REACTIONS)
    assert (report.events_read, report.skipped_lifecycle, report.accepted) == (4, 2, 2)
    everything = import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert (everything.accepted, everything.duplicates) == (2, 2)


def test_xes_and_csv_of_the_same_events_share_message_ids(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    xes = write_xes(tmp_path, trace("c1", event("open", "2024-01-01T10:00:00+01:00"),
                                    event("open", "2024-01-01T10:00:00+01:00"),
                                    event("close", "2024-01-02T09:00:00.250+01:00")))
    csv = tmp_path / "same.csv"
    csv.write_text("case:concept:name,concept:name,time:timestamp\n"
                   "c1,open,2024-01-01 09:00:00\nc1,open,2024-01-01 09:00:00\nc1,close,2024-01-02 08:00:00.250\n")
    assert import_file(db, org.id, xes, ImportOptions(), reactions=REACTIONS).accepted == 3
    again = import_file(db, org.id, csv, ImportOptions(), reactions=REACTIONS)
    assert (again.accepted, again.duplicates) == (0, 3)


BILLION_LAUGHS = ('<!DOCTYPE log [\n<!ENTITY lol "lol">\n<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n')
EXTERNAL_ENTITY = '<!DOCTYPE log [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL_ENTITY, '<!DOCTYPE log SYSTEM "http://x/xes.dtd">\n'])
def test_a_dtd_or_entity_declaration_is_refused_and_nothing_written(db: Session, org: OrgHandle,
                                                                    tmp_path: Path, prolog: str) -> None:
    path = write_xes(tmp_path, trace("&lol3;&secret;", event("x", "2024-01-01T00:00:00Z")), prolog=prolog)
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert failure.value.line == 2
    assert "DTD and entity declarations" in failure.value.reason
    assert counts(db, org.id) == (0, 0, 0)


def test_a_dtd_the_prolog_scan_cannot_read_is_still_refused(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = tmp_path / "utf16.xes"
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n' + EXTERNAL_ENTITY
            + f'<log {NS}>{trace("c", event("x", "2024-01-01T00:00:00Z"))}</log>')
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(ImportFailed, match="DTD and entity declarations"):
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert counts(db, org.id) == (0, 0, 0)


@pytest.mark.parametrize(("events", "line", "reason"), [
    ('<event><string key="concept:name" value="x"/></event>', 11, "event without a time:timestamp"),
    ('<event><date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>', 11, "without a concept:name"),
    (event("x", "soon"), 11, "unparseable time:timestamp 'soon'"),
    ('<event>\n<int key="n" value="many"/></event>', 12, "attribute 'n': 'many' is not a valid int"),
    ("<event><string key='concept:name' value='x'>", 12, "invalid XML"),
])
def test_a_bad_event_names_its_line_and_nothing_is_written(db: Session, org: OrgHandle, tmp_path: Path,
                                                           events: str, line: int, reason: str) -> None:
    good = trace("c0", *(event(f"a{i}", f"2024-01-01T00:0{i}:00Z") for i in range(5)))  # lines 3-9
    path = write_xes(tmp_path, good + "\n" + trace("c1", events))
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, path, ImportOptions(chunk_size=2), reactions=REACTIONS)
    assert (failure.value.file, failure.value.line) == (str(path), line)
    assert reason in failure.value.reason
    assert counts(db, org.id) == (0, 0, 0)


def test_a_trace_without_case_id_or_a_non_xes_file_is_refused(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    nameless = write_xes(tmp_path, "<trace>" + event("x", "2024-01-01T00:00:00Z") + "</trace>")
    with pytest.raises(ImportFailed, match=r"log.xes:3: trace without a concept:name"):
        import_file(db, org.id, nameless, ImportOptions(), reactions=REACTIONS)
    html = tmp_path / "page.xes"
    html.write_text("<html><body/></html>")
    with pytest.raises(ImportFailed, match="not an XES log"):
        import_file(db, org.id, html, ImportOptions(), reactions=REACTIONS)


def test_a_truncated_gzip_file_is_a_clear_error(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = tmp_path / "cut.xes.gz"
    path.write_bytes((DATA / "receipt_coselog.xes.gz").read_bytes()[:50_000])
    with pytest.raises(ImportFailed, match="cannot read the file"):
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert counts(db, org.id) == (0, 0, 0)
