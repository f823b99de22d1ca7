"""A time promise on a real log: the CoSeLoG receipt phase (tests/data/receipt_coselog.xes.gz) carries, per case,
a ``deadline`` (equal to ``enddate_planned``). Promise: the confirmation of receipt is printed and sent (T05)
before the case's deadline, counted from the confirmation of receipt. Expected figures are computed here
independently, from the XES file read with lxml, not through Momentos' importer or evaluator."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime, timedelta

from lxml import etree
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.imports.readers import ImportOptions
from momentos.imports.service import import_file
from momentos.promises import definitions, indicators, scoring
from momentos.promises.schemas import PromiseCreate
from tests.conftest import DATA, OrgHandle
from tests.factories import REACTIONS, make_service
from tests.promises.helpers import instances

XES = "{http://www.xes-standard.org/}"
START, STOP = "Confirmation of receipt", "T05 Print and send confirmation of receipt"
PROMISE = {"key": "receipt-before-deadline", "service": "permits", "moment": "first_contact", "kind": "time",
           "text": {"es": "Te confirmamos la recepción antes del plazo de tu expediente",
                    "en": "We confirm receipt before your case's deadline"},
           "rule": {"type": "time", "start_activity": START, "stop_activity": STOP, "due_property": "case:deadline",
                    "at_risk_fraction": 0.5}}
MID_LOG = datetime(2011, 6, 1, tzinfo=UTC)


def _cases() -> list[tuple[datetime, datetime | None, datetime]]:
    """(first confirmation, first T05 at or after it, deadline) of every case that has a confirmation."""
    out = []
    with gzip.open(DATA / "receipt_coselog.xes.gz") as f:
        for _, trace in etree.iterparse(f, tag=f"{XES}trace"):
            attrs = {c.get("key"): c.get("value") for c in trace if c.tag != f"{XES}event"}
            events = sorted((datetime.fromisoformat(e.find(f"{XES}date[@key='time:timestamp']").get("value")),
                             e.find(f"{XES}string[@key='concept:name']").get("value"))
                            for e in trace.iter(f"{XES}event"))
            trace.clear()
            starts = [ts for ts, name in events if name == START]
            if not starts:
                continue
            stops = [ts for ts, name in events if name == STOP and ts >= starts[0]]
            out.append((starts[0], stops[0] if stops else None, datetime.fromisoformat(attrs["deadline"])))
    return out


def _hand_states(now: datetime, started_before: datetime | None = None) -> Counter[str]:
    states: Counter[str] = Counter()
    for start, stop, deadline in _cases():
        if started_before is not None and start >= started_before:
            continue
        if stop is not None and stop <= now:
            states["kept" if stop <= deadline else "broken"] += 1
        elif now >= deadline:
            states["broken"] += 1
        elif now >= start + (deadline - start) * 0.5:
            states["at_risk"] += 1
        else:
            states["pending"] += 1
    return states


def test_a_deadline_promise_on_the_receipt_log_matches_a_hand_computation(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="permits", touchpoints={})
    definitions.create(db, org.id, PromiseCreate.model_validate(PROMISE), actor=Actor.cli("tests"))
    import_file(db, org.id, DATA / "receipt_coselog.xes.gz", ImportOptions(service="permits"), reactions=REACTIONS)
    stored = Counter(i.state for i in instances(db, org.id))
    expected = _hand_states(datetime.now(UTC))
    assert stored == expected
    assert sum(expected.values()) > 1_300 and expected["kept"] > 1_000 and expected["broken"] > 0
    rows = indicators.compliance(db, org.id, by="promise", period="all")
    assert [(r.kept, r.broken) for r in rows] == [(expected["kept"], expected["broken"])]
    assert rows[0].compliance == expected["kept"] / (expected["kept"] + expected["broken"])


def test_what_the_promise_would_have_scored_mid_log_matches_a_hand_computation(db: Session,
                                                                              org: OrgHandle) -> None:
    service = make_service(db, org.id, key="permits", touchpoints={})
    import_file(db, org.id, DATA / "receipt_coselog.xes.gz", ImportOptions(service="permits"), reactions=REACTIONS)
    draft = PromiseCreate.model_validate(PROMISE)
    result = scoring.score_rule(db, org.id, service.id, draft.rule.compile(), None, MID_LOG, MID_LOG)
    expected = _hand_states(MID_LOG, started_before=MID_LOG)
    assert result.states == {s: expected.get(s, 0) for s in ("pending", "at_risk", "kept", "broken")}
    assert result.started == sum(expected.values()) > 100
    assert instances(db, org.id) == []  # nothing stored
    month = scoring.score_rule(db, org.id, service.id, draft.rule.compile(), MID_LOG - timedelta(days=31), MID_LOG,
                               MID_LOG)
    assert 0 < month.started < result.started
