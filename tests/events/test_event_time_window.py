"""The plausibility window for event times (default: not before 1900, not more than 7 days ahead of the server
clock; ``MOMENTOS_INGEST__EARLIEST`` / ``MOMENTOS_INGEST__MAX_FUTURE_DAYS``): every door refuses an event outside it,
all or nothing, naming the event; file imports report file, line and reason; old logs still import."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.config import IngestSettings, Settings
from momentos.errors import ImportFailed
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.kit.clock import utcnow
from momentos.models import Event
from tests import conftest
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, make_service


def _events(db: Session, org: OrgHandle) -> int:
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.org_id == org.id)) or 0)


def _iso(days_from_now: float) -> str:
    return (utcnow() + timedelta(days=days_from_now)).isoformat()


def _native(*stamps: str) -> dict[str, Any]:
    return {"events": [{"message_id": f"w{i}", "customer": "ana", "activity": "order_placed", "timestamp": ts}
                       for i, ts in enumerate(stamps)]}


PAST = "1899-12-31T23:59:59Z"
FAR = "9999-12-31T23:59:59Z"
YEAR_ONE = "0001-01-01T00:00:00Z"


@pytest.mark.parametrize("bad", [PAST, FAR, YEAR_ONE, "in 8 days"])
def test_the_native_door_refuses_an_implausible_event_naming_it(db: Session, client: TestClient, org: OrgHandle,
                                                                bad: str) -> None:
    make_service(db, org.id)
    stamp = _iso(8) if bad == "in 8 days" else bad
    r = client.post("/api/v1/events", headers=org.writer, json=_native("2026-03-02T10:00:00Z", stamp))
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["code"], body["detail"]["index"]) == ("implausible_timestamp", 1)
    assert _events(db, org) == 0  # all or nothing


def test_the_edges_of_the_window_are_accepted(db: Session, client: TestClient, org: OrgHandle) -> None:
    make_service(db, org.id)
    r = client.post("/api/v1/events", headers=org.writer, json=_native("1900-01-01T00:00:00Z", _iso(6.9)))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2


@pytest.mark.parametrize("bad", [PAST, FAR, YEAR_ONE])
def test_segment_refuses_an_implausible_event_naming_its_message(db: Session, client: TestClient, org: OrgHandle,
                                                                 bad: str) -> None:
    make_service(db, org.id)
    batch = [{"type": "identify", "userId": "ana", "traits": {"plan": "gold"}, "timestamp": "2026-03-02T09:00:00Z"},
             {"type": "track", "userId": "ana", "event": "order_placed", "messageId": "ok",
              "timestamp": "2026-03-02T10:00:00Z"},
             {"type": "track", "userId": "ana", "event": "order_placed", "messageId": "bad", "timestamp": bad}]
    r = client.post("/v1/batch", headers=org.writer, json={"batch": batch})
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["detail"]["index"]) == ("implausible_timestamp", 2)
    assert _events(db, org) == 0


def test_segment_year_one_against_a_year_9999_sent_at_is_a_400(db: Session, client: TestClient,
                                                               org: OrgHandle) -> None:
    message = {"type": "track", "userId": "ana", "event": "order_placed", "messageId": "x", "timestamp": YEAR_ONE,
               "sentAt": FAR}
    r = client.post("/v1/batch", headers=org.writer, json={"batch": [message]})
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["index"] == 0


@pytest.mark.parametrize("bad", [PAST, FAR, YEAR_ONE])
def test_cloudevents_refuses_an_implausible_event_naming_it(db: Session, client: TestClient, org: OrgHandle,
                                                            bad: str) -> None:
    make_service(db, org.id)
    events = [{"specversion": "1.0", "id": f"c{i}", "source": "/shop", "type": "order_placed", "subject": "ana",
               "time": ts} for i, ts in enumerate(("2026-03-02T10:00:00Z", bad))]
    headers = {**org.writer, "Content-Type": "application/cloudevents-batch+json"}
    r = client.post("/api/v1/cloudevents", headers=headers, json=events)
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["detail"]["index"]) == ("implausible_timestamp", 1)
    assert _events(db, org) == 0


def test_an_identify_stamped_year_one_is_refused(db: Session, client: TestClient, org: OrgHandle) -> None:
    r = client.post("/api/v1/events", headers=org.writer, json={"identifies": [
        {"customer": "ana", "timestamp": YEAR_ONE, "traits": {"plan": "gold"}}]})
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["detail"]["identify"]) == ("implausible_timestamp", 0)


class TestConfiguredWindow:
    @pytest.fixture
    def app_settings(self) -> Settings:
        return conftest.test_settings(ingest=IngestSettings(earliest=date(2020, 1, 1), max_future_days=0))

    def test_the_window_is_configurable(self, db: Session, client: TestClient, org: OrgHandle) -> None:
        make_service(db, org.id)
        r = client.post("/api/v1/events", headers=org.writer, json=_native("2019-12-31T00:00:00Z"))
        assert (r.status_code, r.json()["code"]) == (422, "implausible_timestamp")
        r = client.post("/api/v1/events", headers=org.writer, json=_native(_iso(0.5)))
        assert (r.status_code, r.json()["code"]) == (422, "implausible_timestamp")
        r = client.post("/api/v1/events", headers=org.writer, json=_native("2020-01-02T00:00:00Z"))
        assert r.status_code == 200, r.text


def test_the_window_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTOS_INGEST__EARLIEST", "1950-06-01")
    monkeypatch.setenv("MOMENTOS_INGEST__MAX_FUTURE_DAYS", "2")
    ingest = Settings(environment="test").ingest
    assert (ingest.earliest, ingest.max_future_days) == (date(1950, 6, 1), 2)
    defaults = IngestSettings()
    assert (defaults.earliest, defaults.max_future_days) == (date(1900, 1, 1), 7)


def _csv(tmp_path: Path, stamp: str) -> Path:
    path = tmp_path / "old.csv"
    rows = ["case_id,activity,timestamp", "c1,order_placed,1975-03-01T10:00:00", f"c1,order_shipped,{stamp}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("stamp", ["1850-01-01T10:00:00", "9999-01-01T10:00:00"])
def test_a_csv_import_reports_the_file_and_line_of_an_implausible_time(db: Session, org: OrgHandle, tmp_path: Path,
                                                                       stamp: str) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, _csv(tmp_path, stamp), ImportOptions(), reactions=REACTIONS)
    assert (Path(failure.value.file).name, failure.value.line) == ("old.csv", 3)
    assert "timestamp" in failure.value.reason
    assert _events(db, org) == 0


def test_old_logs_still_import(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    report = import_file(db, org.id, _csv(tmp_path, "1975-03-02T10:00:00"), ImportOptions(), reactions=REACTIONS)
    assert report.accepted == 2
    xes = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(), reactions=REACTIONS)
    assert xes.accepted > 0


def _xes(tmp_path: Path, year: int) -> Path:
    path = tmp_path / "old.xes"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="t1"/>
    <event><string key="concept:name" value="a"/>
      <date key="time:timestamp" value="1975-01-01T10:00:00+00:00"/></event>
    <event><string key="concept:name" value="b"/>
      <date key="time:timestamp" value="{year}-01-01T10:00:00+00:00"/></event>
  </trace>
</log>
""", encoding="utf-8")
    return path


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "streaming"])
def test_an_xes_import_with_an_event_from_1850_fails_with_its_line_on_both_roads(db: Session, org: OrgHandle,
                                                                                tmp_path: Path, bulk: bool) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, _xes(tmp_path, 1850), ImportOptions(bulk=bulk), reactions=REACTIONS)
    assert Path(failure.value.file).name == "old.xes" and failure.value.line is not None
    assert "1900" in failure.value.reason
    assert _events(db, org) == 0
    report = import_file(db, org.id, _xes(tmp_path, 1976), ImportOptions(bulk=bulk), reactions=REACTIONS)
    assert report.accepted == 2
