"""CSV import: real logs give the stated counts, re-import adds nothing, a bad row fails whole with its line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.errors import ImportFailed, ValidationFailed
from momentos.imports.readers import ImportOptions, normalize_channel
from momentos.imports.service import NO_SERVICE_NOTE, import_file
from momentos.models import Customer, Event, Process
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, make_service

BPIC2016 = ImportOptions(case_column="CustomerID", activity_column="ComplaintTopic_EN",
                         timestamp_column="ContactDate", channel_column="ContactChannelID", encoding="latin-1")


def counts(db: Session, org_id: int) -> tuple[int, int, int]:
    """(events, processes, customers) of the organization, counted in SQL."""
    def n(model: type[Event] | type[Process] | type[Customer]) -> int:
        return int(db.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0)

    return n(Event), n(Process), n(Customer)


def write_csv(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def small_log(rows: int = 30) -> list[str]:
    """A header and ``rows`` good rows: three cases, one event a minute."""
    lines = ["case_id,activity,timestamp,resource"]
    lines += [f"c{i % 3},step {i},2024-05-01T10:{i:02d}:00,r{i}" for i in range(rows)]
    return lines


def test_helpdesk_csv_gives_the_stated_cases_and_events(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="helpdesk", touchpoints={})
    report = import_file(db, org.id, DATA / "helpdesk.csv.gz", ImportOptions(), reactions=REACTIONS)
    assert (report.events_read, report.accepted, report.cases) == (21_348, 21_348, 4_580)
    events, processes, customers = counts(db, org.id)
    assert (events, processes) == (21_348, 4_580)
    assert customers == 394  # the log's own "customer" column; a case keeps the customer of its first row
    distinct_cases = db.scalar(select(func.count(func.distinct(Process.reference))).where(Process.org_id == org.id))
    assert distinct_cases == 4_580


def test_bpic2016_semicolon_latin1_csv_with_date_only_timestamps(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="complaints", touchpoints={})
    report = import_file(db, org.id, DATA / "bpic2016_complaints.csv", BPIC2016, reactions=REACTIONS)
    assert (report.accepted, report.cases) == (289, 226)
    assert counts(db, org.id) == (289, 226, 226)
    first = db.scalars(select(Event).where(Event.org_id == org.id).order_by(Event.timestamp, Event.id)).first()
    assert first is not None
    assert first.timestamp.time() == datetime.min.time()
    assert first.channel in {str(n) for n in range(1, 9)}
    assert "ComplaintTheme_EN" in first.properties
    assert "CustomerID" not in first.properties


def test_reimporting_the_same_csv_adds_nothing(db: Session, org: OrgHandle) -> None:
    first = import_file(db, org.id, DATA / "bpic2016_complaints.csv", BPIC2016, reactions=REACTIONS)
    before = counts(db, org.id)
    again = import_file(db, org.id, DATA / "bpic2016_complaints.csv", BPIC2016, reactions=REACTIONS)
    assert (first.accepted, again.accepted, again.duplicates) == (289, 0, 289)
    assert counts(db, org.id) == before


@pytest.mark.parametrize(("bad_row", "reason"), [
    (",step x,2024-05-01T11:00:00,r", "missing case id (column 'case_id')"),
    ("c1,,2024-05-01T11:00:00,r", "missing activity (column 'activity')"),
    ("c1,step x,yesterday,r", "unparseable timestamp 'yesterday' in column 'timestamp'"),
    ("c1,step x,2024-05-01T11:00:00", "expected 4 columns, found 3"),
    ("c1,step x,2024-05-01T11:00:00,r,extra", "expected 4 columns, found 5"),
])
def test_a_broken_row_in_the_middle_names_file_and_line_and_writes_nothing(
        db: Session, org: OrgHandle, tmp_path: Path, bad_row: str, reason: str) -> None:
    lines = small_log(30)
    lines.insert(20, bad_row)  # file line 21; chunks of 5 were already ingested before it is read
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, path, ImportOptions(chunk_size=5), reactions=REACTIONS)
    assert (failure.value.file, failure.value.line) == (str(path), 21)
    assert reason in failure.value.reason
    assert failure.value.message.startswith(f"{path}:21: ")
    assert counts(db, org.id) == (0, 0, 0)


def test_columns_format_and_time_zone_given_as_options(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Ticket\tWhat\tWhen\tWho\tVia\n"
                               "T-1\tOpened\t01/03/2024 09:30\tana\tE-Mail\n"
                               "T-1\tClosed\t02/03/2024 17:00\tana\tDesk\n")
    options = ImportOptions(case_column="ticket", activity_column="What", timestamp_column="When",
                            timestamp_format="%d/%m/%Y %H:%M", customer_column="Who", channel_column="Via",
                            delimiter="\\t", timezone="Europe/Amsterdam")
    report = import_file(db, org.id, path, options, reactions=REACTIONS)
    assert report.accepted == 2
    rows = db.execute(select(Event.activity, Event.timestamp, Event.channel, Customer.external_id)
                      .join(Customer, Customer.id == Event.customer_id)
                      .where(Event.org_id == org.id).order_by(Event.timestamp)).all()
    assert rows == [("Opened", datetime(2024, 3, 1, 8, 30, tzinfo=UTC), "email", "ana"),
                    ("Closed", datetime(2024, 3, 2, 16, 0, tzinfo=UTC), "store", "ana")]


def test_case_id_is_process_reference_and_customer_and_other_columns_are_properties(
        db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id, key="tickets", touchpoints={})
    path = write_csv(tmp_path, "\n".join(small_log(6)) + "\n")
    import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    processes = db.execute(select(Process.reference, Customer.external_id)
                           .join(Customer, Customer.id == Process.customer_id)
                           .where(Process.org_id == org.id).order_by(Process.reference)).all()
    assert processes == [("c0", "c0"), ("c1", "c1"), ("c2", "c2")]
    props = db.scalars(select(Event.properties).where(Event.org_id == org.id, Event.activity == "step 4")).one()
    assert props == {"resource": "r4", "case:concept:name": "c1"}


def test_a_case_keeps_the_customer_of_its_first_row(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id, key="tickets", touchpoints={})
    path = write_csv(tmp_path, "case,activity,timestamp,customer\n"
                               "k1,open,2024-01-01T10:00:00,acme\n"
                               "k1,close,2024-01-02T10:00:00,other\n"
                               "k2,open,2024-01-03T10:00:00,acme\n")
    import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert counts(db, org.id) == (3, 2, 1)


def test_an_org_without_services_gets_events_without_process_and_a_note(
        db: Session, org: OrgHandle, tmp_path: Path) -> None:
    report = import_file(db, org.id, write_csv(tmp_path, "\n".join(small_log(4)) + "\n"), ImportOptions(),
                         reactions=REACTIONS)
    assert report.note == NO_SERVICE_NOTE
    assert counts(db, org.id) == (4, 0, 3)
    assert db.scalar(select(func.count()).where(Event.org_id == org.id, Event.process_id.is_not(None))) == 0


def test_an_unknown_service_is_refused_before_reading(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id, key="tickets", touchpoints={})
    with pytest.raises(ValidationFailed) as failure:
        import_file(db, org.id, write_csv(tmp_path, "\n".join(small_log(2))), ImportOptions(service="nope"),
                    reactions=REACTIONS)
    assert failure.value.code == "unknown_service"


def test_moment_column_moves_processes_and_an_unknown_moment_names_its_line(
        db: Session, org: OrgHandle, tmp_path: Path) -> None:
    make_service(db, org.id, key="shop", touchpoints={})
    good = write_csv(tmp_path, "case,activity,timestamp,moment\n"
                               "o1,ordered,2024-01-01T10:00:00,purchase\n"
                               "o1,shipped,2024-01-02T10:00:00,delivery\n")
    import_file(db, org.id, good, ImportOptions(service="shop"), reactions=REACTIONS)
    assert db.scalars(select(Process.current_moment).where(Process.org_id == org.id)).one() == "delivery"
    bad = write_csv(tmp_path, "case,activity,timestamp,moment\n"
                              "o2,ordered,2024-01-01T10:00:00,purchase\n"
                              "o2,teleported,2024-01-02T10:00:00,nowhere\n", name="bad.csv")
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, bad, ImportOptions(service="shop"), reactions=REACTIONS)
    assert failure.value.line == 3
    assert "nowhere" in failure.value.reason
    assert counts(db, org.id)[0] == 2


def test_missing_or_unknown_columns_are_reported_on_the_header_line(
        db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "who,what\nx,y\n")
    with pytest.raises(ImportFailed, match=r"log.csv:1: no case column found; pass --case-column"):
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    with pytest.raises(ImportFailed, match=r"no column named 'Case' \(--case-column\)"):
        import_file(db, org.id, path, ImportOptions(case_column="Case"), reactions=REACTIONS)


def test_text_in_the_wrong_encoding_names_its_line(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("case,activity,timestamp\nc1,ok,2024-01-01\nc1,se\u00f1al,2024-01-02\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS)
    assert failure.value.line == 3
    assert "--encoding" in failure.value.reason
    assert import_file(db, org.id, path, ImportOptions(encoding="latin-1"), reactions=REACTIONS).accepted == 2


@pytest.mark.parametrize(("raw", "channel"), [
    ("Desk", "store"), ("e-mail", "email"), ("Internet", "web"), ("Post", "mail"), ("Intern", "intern"),
    ("E Mail", "email"), ("Call Center!", "call-center"), ("8", "8"), ("  ", None), ("WhatsApp", "whatsapp"),
])
def test_channels_are_normalised_to_channel_keys(raw: str, channel: str | None) -> None:
    assert normalize_channel(raw) == channel
