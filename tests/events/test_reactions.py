"""Ingestion hands what it stored to the reactions it is given, as one typed batch, and knows none of them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.events.reactions import Incoming, Reaction, StoredBatch, StoredEvent
from momentos.events.schemas import Batch
from momentos.events.service import CHUNK, ingest
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.listening.surveys import service as surveys
from momentos.listening.surveys.schemas import SurveyCreate
from momentos.models import Event, Organization
from momentos.promises import definitions
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, T0, event, make_service
from tests.listening.helpers import QUESTIONS
from tests.promises.helpers import define

EVENTS = Path(__file__).parents[2] / "src" / "momentos" / "events"


@dataclass
class Recorder:
    """A reaction appended to the app's list: records what it is handed."""

    reacting: bool = False
    name: str = "tests.recorder"
    noted: list[int] = field(default_factory=list)
    asked: list[Incoming] = field(default_factory=list)
    batches: list[StoredBatch] = field(default_factory=list)

    def before_store(self, session: Session, org_id: int) -> None:
        self.noted.append(org_id)

    def reacts_to(self, session: Session, snapshot: CatalogSnapshot, incoming: Incoming) -> bool:
        self.asked.append(incoming)
        return self.reacting

    def on_stored(self, session: Session, batch: StoredBatch) -> None:
        self.batches.append(batch)


def with_recorder(recorder: Recorder) -> tuple[Reaction, ...]:
    return (*REACTIONS, recorder)


def test_a_new_reaction_receives_the_stored_events_once_and_nothing_on_replay(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    recorder = Recorder()
    stored_before = event("ana", "signed_up", 0, service="shop")
    ingest(db, org.id, Batch(events=[stored_before]), source="api", reactions=REACTIONS)
    batch = [stored_before, event("ana", "order_placed", 5, service="shop", properties={"total": 12}),
             event("bea", "ad_clicked", 1)]
    twice = batch[1]
    result = ingest(db, org.id, Batch(events=[*batch, twice]), source="api", reactions=with_recorder(recorder))
    assert (result.accepted, result.duplicates) == (2, 2)
    assert recorder.noted == [org.id]
    [handed] = recorder.batches
    assert isinstance(handed, StoredBatch)
    assert (handed.org_id, handed.source, handed.snapshot.org_id) == (org.id, "api", org.id)
    assert [e.message_id for e in handed.incoming] == [e.message_id for e in [*batch, twice]]
    assert all(isinstance(e, StoredEvent) for e in handed.events)
    ids = {mid: eid for mid, eid in db.execute(select(Event.message_id, Event.id).where(Event.org_id == org.id))}
    by_mid = {e.message_id: e for e in handed.events}
    assert sorted(by_mid) == sorted(e.message_id for e in batch[1:])  # the stored ones, each once
    placed = by_mid[batch[1].message_id]
    assert (placed.id, placed.activity, placed.moment, placed.channel, placed.initiator) == (
        ids[batch[1].message_id], "order_placed", "purchase", "web", "customer")
    assert placed.service_id is not None and placed.process_id is not None
    assert placed.entered and not placed.rebuilt and dict(placed.properties) == {"total": 12}
    assert by_mid[batch[2].message_id].entered

    recorder.batches.clear()
    again = ingest(db, org.id, Batch(events=batch), source="api", reactions=with_recorder(recorder))
    assert again.accepted == 0
    [replayed] = recorder.batches
    assert list(replayed.events) == []


def test_a_batch_of_many_chunks_is_handed_over_once(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    recorder = Recorder()
    many = [event(f"c{i}", "product_viewed", i / 100) for i in range(CHUNK + 5)]
    ingest(db, org.id, Batch(events=many), source="api", reactions=with_recorder(recorder))
    [handed] = recorder.batches
    assert sorted(e.message_id for e in handed.events) == sorted(e.message_id for e in many)


def test_an_out_of_order_event_is_handed_over_as_rebuilt(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    ingest(db, org.id, Batch(events=[event("ana", "order_placed", 60, service="shop")]), source="api",
           reactions=REACTIONS)
    recorder = Recorder()
    late = event("ana", "signed_up", 0, service="shop")
    ingest(db, org.id, Batch(events=[late]), source="api", reactions=with_recorder(recorder))
    [stored] = recorder.batches[0].events
    assert stored.message_id == late.message_id and stored.rebuilt


def test_the_bulk_road_asks_the_reactions_and_steps_aside_for_one_that_reacts(db: Session, org: OrgHandle,
                                                                              other_org: OrgHandle) -> None:
    quiet, reacting = Recorder(), Recorder(reacting=True)
    first = import_file(db, org.id, DATA / "running-example.xes", ImportOptions(), reactions=with_recorder(quiet))
    assert first.bulk and quiet.batches == [] and quiet.noted == [org.id]
    [incoming] = quiet.asked
    assert incoming.service_ids == frozenset() and "org:resource" in incoming.property_names
    second = import_file(db, other_org.id, DATA / "running-example.xes", ImportOptions(),
                         reactions=with_recorder(reacting))
    assert not second.bulk and second.accepted == 42
    assert sum(len(b.events) for b in reacting.batches) == 42


def test_events_with_survey_scores_keep_the_bulk_road_off(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    from tests.events.test_xes_import import event as xes_event
    from tests.events.test_xes_import import trace, write_xes

    def log(key: str) -> Path:
        return write_xes(tmp_path, trace(f"c-{key}", xes_event("rated", "2024-01-01T10:00:00Z",
                                                               f'<int key="{key}" value="9"/>')), name=f"{key}.xes")

    assert import_file(db, org.id, log("rating"), ImportOptions(), reactions=REACTIONS).bulk
    report = import_file(db, org.id, log("nps"), ImportOptions(), reactions=REACTIONS)
    assert not report.bulk and report.accepted == 1


def test_surveys_and_promises_renew_the_catalog_version(db: Session, org: OrgHandle) -> None:
    """The reactions cache what they derive per catalog version: changing it must renew the version."""
    make_service(db, org.id)

    def version() -> str:
        return db.scalars(select(Organization.catalog_version).where(Organization.id == org.id)).one()

    seen = [version()]
    surveys.create_survey(db, org.id, SurveyCreate.model_validate({
        "key": "after-delivery", "title_es": "Tu entrega", "title_en": "Your delivery", "service": "shop",
        "moment": "delivery", "questions": QUESTIONS}), T0, actor=Actor.cli("tests"))
    seen.append(version())
    define(db, org.id)
    seen.append(version())
    definitions.deactivate(db, org.id, "delivered-in-2-days", actor=Actor.cli("tests"))
    seen.append(version())
    assert len(set(seen)) == 4


def test_events_imports_none_of_the_reacting_packages() -> None:
    banned = ("momentos.notify", "momentos.listening", "momentos.promises", "momentos.analytics")
    found = []
    for path in EVENTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []
