"""A customer's data, exported whole (the right of access): one JSON document. Never commits.

The document holds the customer's profile and then one list per section of ``privacy.scope.SECTIONS``
(identities, consents and their history, events, processes with their moment history, status pages and what was
left on them, notifications and their delivery attempts, contact decisions with their reasons, promise instances and
their transitions, survey invitations, feedback) and the customer's own contact rules. Rows keep their ids, so they
refer to each other (an attempt's ``notification_id``, an event's ``process_id``); ``references`` names the
services, promises and surveys they point at. Left out: the organization id, access tokens (status and survey
links), workers' leases and binary text embeddings. Only this customer's rows are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.customers import service as customers
from momentos.kit.clock import utcnow
from momentos.kit.ids import digest
from momentos.models import Customer, PromiseDefinition, Service, Survey
from momentos.privacy import scope
from momentos.processes.moves import Stay, with_left_times

FORMAT = "momentos.customer-export/1"
HIDDEN = frozenset({"org_id", "customer_id", "token", "token_hash", "lease_owner", "lease_until", "analysis_lease"})
"""Columns never exported: the organization (implied), the customer (the document's subject), access tokens (a
status or survey link is a credential) and workers' bookkeeping. Binary values (embeddings) are left out too."""
_REFERENCES: dict[str, tuple[str, type[Service] | type[PromiseDefinition] | type[Survey]]] = {
    "service_id": ("services", Service), "definition_id": ("promises", PromiseDefinition),
    "survey_id": ("surveys", Survey)}


def export_customer(session: Session, org_id: int, external_id: str, actor: Actor) -> dict[str, Any]:
    """Everything stored about one customer; raises NotFound for an unknown (or erased) one. The export is
    recorded in the audit log (who, when, how many rows per section)."""
    customer = customers.get_customer(session, org_id, external_id)
    profile = session.execute(select(Customer.__table__).where(Customer.id == customer.id)).mappings().one()
    sections = scope.section_rows(session, org_id, customer.id)
    doc: dict[str, Any] = {"format": FORMAT, "exported_at": utcnow(), "customer": _clean(profile)}
    for key, rows in sections.items():
        doc[key] = [_clean(r) for r in rows]
    _add_stays(doc["processes"], doc["events"])
    doc["references"] = _references(session, org_id, sections.values())
    record(session, org_id, actor, "customer.export", audit_target(external_id), after=counts(doc))
    return doc


def audit_target(external_id: str) -> str:
    """How the audit log names a customer: by the digest of their id (what the tombstone keeps), so an erasure
    leaves no id behind there either."""
    return f"customer:sha256:{digest(external_id)}"


def counts(doc: Mapping[str, Any]) -> dict[str, int]:
    """How many rows each section of an export holds (the audit log's summary)."""
    return {key: len(value) for key, value in doc.items() if isinstance(value, list)}


def _clean(row: RowMapping) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in HIDDEN and not isinstance(v, bytes | memoryview)}


def _add_stays(processes: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    """Each process's moment history (its stays, with entered and left times), from the events that caused them."""
    by_process: dict[int, list[Stay]] = {}
    for e in events:
        if e["process_id"] is not None and e["stay_seq"] is not None and e["moment"] is not None:
            by_process.setdefault(e["process_id"], []).append(
                Stay(e["stay_seq"], e["moment"], e["stay_cycle"] or 1, e["timestamp"], e["id"]))
    for process in processes:
        stays = with_left_times(sorted(by_process.get(process["id"], []), key=lambda s: s.seq))
        process["stays"] = [_stay(s) for s in stays]


def _stay(s: Stay) -> dict[str, Any]:
    entered: datetime = s.entered_at
    return {"seq": s.seq, "moment": s.moment, "cycle": s.cycle, "entered_at": entered, "left_at": s.left_at,
            "event_id": s.ref}


def _references(session: Session, org_id: int, sections: Iterable[list[RowMapping]]) -> dict[str, dict[str, str]]:
    """The keys of the services, promises and surveys the rows point at (id → key)."""
    wanted: dict[str, set[int]] = {column: set() for column in _REFERENCES}
    for rows in sections:
        for row in rows:
            for column, ids in wanted.items():
                if row.get(column) is not None:
                    ids.add(row[column])
    out: dict[str, dict[str, str]] = {}
    for column, (name, model) in _REFERENCES.items():
        found = session.execute(select(model.id, model.key).where(
            model.org_id == org_id, model.id.in_(sorted(wanted[column])))).all() if wanted[column] else []
        out[name] = {str(i): k for i, k in found}
    return out
