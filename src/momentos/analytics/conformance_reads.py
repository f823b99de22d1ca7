"""Conformance answers: the counters of analytics_conformance for one service (stored plus pending, or from the
log on the full path) shaped as a ConformanceRead, and one process's own deviations."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from momentos.analytics import aggregates, conformance, design, incremental
from momentos.analytics.conformance import ANY, COUNTED
from momentos.analytics.log import CASE_KEY, load_log
from momentos.analytics.schemas import ConformanceRead, Deviation, DeviationCount, MomentConformance
from momentos.catalog import service as catalog
from momentos.dialect import BulkWriter
from momentos.models import Service

Counts = dict[tuple[str, str, str], tuple[int, int]]
"""(moment, kind, channel) → (processes, deviations)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stored_counts(session: Session, org_id: int, service_id: int) -> Counts | None:
    """The aggregates' counters for the service (plus what is pending), or None when they cannot answer."""
    pending = incremental.pending(session, org_id)
    if pending is None:
        return None
    bulk = BulkWriter(session)
    sql = ("SELECT moment, kind, channel, cases, deviations FROM analytics_conformance "
           "WHERE org_id = ? AND scope = ?")
    rows = bulk.query(sql.replace("?", "%s") if bulk.postgres else sql, [org_id, service_id])
    sums = {(str(m), str(k), str(c)): [int(n), int(d)] for m, k, c, n, d in rows}
    if pending.delta is not None:
        frame = pending.delta.conformance.filter(pl.col("scope") == service_id)
        for _, m, k, c, n, d in frame.iter_rows():
            acc = sums.setdefault((m, k, c), [0, 0])
            acc[0] += n
            acc[1] += d
    return {k: (v[0], v[1]) for k, v in sums.items() if v[0] != 0}


def full_counts(session: Session, org_id: int, service: Service) -> Counts:
    """The same counters computed from the log (every process of the service)."""
    the_design, digests = _service_digests(session, org_id, service)
    return conformance.totals((conformance.history(r), the_design) for r in digests.iter_rows(named=True))


def _service_digests(session: Session, org_id: int, service: Service) -> tuple[conformance.Design, pl.DataFrame]:
    the_design = design.service_design(session, org_id, service, design.allowed(session, org_id).get(service.id, {}))
    digests = aggregates.digests_from_log(load_log(session, org_id))
    return the_design, digests.filter((pl.col(CASE_KEY) > 0) & (pl.col("service_id") == service.id))


def deviated_processes(session: Session, org_id: int, service: Service, moments: Collection[str] | None = None,
                       kind: str | None = None) -> list[int]:
    """The ids of the service's processes with a deviation (of ``kind``, or any) in one of ``moments`` (or any
    moment): the processes behind the counters (the same digests as ``full_counts``)."""
    the_design, digests = _service_digests(session, org_id, service)
    out = []
    for row in digests.iter_rows(named=True):
        found = conformance.deviations(conformance.history(row), the_design)
        if any((moments is None or x.moment in moments) and (kind is None or x.kind == kind) for x in found):
            out.append(int(row[CASE_KEY]))
    return sorted(out)


def read(session: Session, org_id: int, service_key: str, *, full: bool = False) -> ConformanceRead:
    service = catalog.get_service(session, org_id, service_key)
    model = catalog.get_journey_model(session, org_id, service.journey_model_key)
    counts = None if full else stored_counts(session, org_id, service.id)
    if counts is None:
        counts = full_counts(session, org_id, service)
    return shape(service.key, model.key, model.keys, counts)


def shape(service: str, model: str, moments: list[str], counts: Mapping[tuple[str, str, str], tuple[int, int]]
          ) -> ConformanceRead:
    def figures(moment: str) -> tuple[int, int, int]:
        total = counts.get((moment, COUNTED, ANY), (0, 0))[0]
        deviated, devs = counts.get((moment, ANY, ANY), (0, 0))
        return total, total - deviated, devs

    total, conforming, _ = figures(ANY)
    rows = []
    for m in moments:
        n, ok, devs = figures(m)
        rows.append(MomentConformance(moment=m, processes=n, conforming=ok, rate=ok / n if n else None,
                                      deviations=devs))
    kinds = [DeviationCount(kind=k, moment=m, channel=c, processes=n, deviations=d,
                            share=n / base if (base := counts.get((m, COUNTED, ANY), (0, 0))[0]) else None)
             for (m, k, c), (n, d) in counts.items() if k not in (COUNTED, ANY)]
    order = {m: i for i, m in enumerate([ANY, *moments])}
    kinds.sort(key=lambda x: (x.moment != ANY, x.channel != ANY, order.get(x.moment, len(order)), -x.processes,
                              x.kind, x.channel))
    return ConformanceRead(service=service, model=model, processes=total, conforming=conforming,
                           rate=conforming / total if total else None, moments=rows, deviations=kinds)


def process_deviations(session: Session, org_id: int, process_id: int, service_id: int | None) -> list[Deviation]:
    """One process's deviations from its service's design (read from its events)."""
    return processes_deviations(session, org_id, {process_id: service_id}).get(process_id, [])


def processes_deviations(session: Session, org_id: int, services: Mapping[int, int | None]
                         ) -> dict[int, list[Deviation]]:
    """Process id → its deviations from its service's design, for the given processes (id → service id); each
    service's design is read once, the processes' events in one query."""
    wanted = {p: s for p, s in services.items() if s is not None}
    if not wanted:
        return {}
    every = design.allowed(session, org_id)
    designs: dict[int, conformance.Design] = {}
    for service_id in set(wanted.values()):
        service = session.get(Service, service_id)
        if service is not None and service.org_id == org_id:
            designs[service_id] = design.service_design(session, org_id, service, every.get(service_id, {}))
    digests = aggregates.digests_from_log(incremental.case_events(session, org_id, sorted(wanted)))
    out: dict[int, list[Deviation]] = {}
    for row in digests.iter_rows(named=True):
        the_design = designs.get(wanted.get(int(row[CASE_KEY]), -1))
        if the_design is None:
            continue
        out[int(row[CASE_KEY])] = [
            Deviation(kind=x.kind, moment=x.moment, channel=x.channel,
                      steps=[(s, _EPOCH + timedelta(microseconds=t)) for s, t in x.steps])
            for x in conformance.deviations(conformance.history(row), the_design)]
    return out
