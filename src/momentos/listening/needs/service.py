"""Needs: themes of an organization's analysed feedback, kept across refreshes, ranked and explained. Never commits.

A refresh covers every analysed text of the period (90 days unless told): the themes are found
(``analysis.themes`` on the stored embeddings) on a sample spread evenly over the period's weeks (at most
``SAMPLE`` texts), each theme is matched to an existing need by centroid similarity (so names, merges and
"addressed" survive refreshes) or creates one, and then every text of the period, sampled or not, is assigned to
the need with the nearest theme centroid. The ranking is computed when read; a need without comments is never
listed:

    score = 0.35·volume + 0.35·negativity + 0.20·recency + 0.10·breadth

volume = log(1+n)/log(1+max n), negativity = share of negative texts, recency = mean of 2^(−age/14 days),
breadth = ½·(moments, promises and services touched / 8, at most 1) + ½·(share of the writers — customers, or
authors of anonymous comments — of the listed needs who wrote about this one). Every component is returned, with a
sentence.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record, record_change
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.listening.needs.schemas import NeedRead, NeedUpdate, RankComponents
from momentos.models import Customer, Feedback, Need

WEIGHTS = {"volume": 0.35, "negativity": 0.35, "recency": 0.20, "breadth": 0.10}
HALF_LIFE_DAYS = 14.0
WINDOW = timedelta(days=90)
MATCH = 0.93
"""e5 embeddings are all fairly similar: centroids of different themes reach ~0.9, of the same theme ~0.98."""
SAMPLE = 4000
"""Texts the themes are found on; every text of the period is then assigned to one."""
CHUNK = 2000
TREND_WEEKS = 8


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def _live(session: Session, need: Need) -> Need:
    seen = set()
    while need.merged_into_id is not None and need.id not in seen:
        seen.add(need.id)
        need = session.get_one(Need, need.merged_into_id)
    return need


def refresh(session: Session, org_id: int, now: datetime, *, since: datetime | None = None) -> int:
    """Re-cluster the analysed texts since ``since`` (default: the last 90 days), all of them; returns how many
    needs exist after it."""
    from momentos.listening.analysis import themes

    where = (Feedback.org_id == org_id, Feedback.embedding.is_not(None),
             Feedback.occurred_at >= (since or now - WINDOW))
    index = session.execute(select(Feedback.id, Feedback.occurred_at).where(*where)).all()
    if len(index) < 2:
        return 0
    rows = _load(session, spread_sample([(r.id, r.occurred_at) for r in index], SAMPLE))
    vectors = np.vstack([np.frombuffer(r.embedding, dtype=np.float32) for r in rows])
    found = themes([r.text or "" for r in rows], vectors)
    existing = list(session.scalars(select(Need).where(Need.org_id == org_id, Need.merged_into_id.is_(None))))
    mean = vectors.mean(axis=0)
    targets: list[tuple[int, np.ndarray]] = []
    taken: set[int] = set()
    for theme in found:
        members = [m for m in theme.members if m not in taken]
        if not members:
            continue
        taken.update(members)
        centroid = _unit(vectors[members].mean(axis=0))
        need = _match([n for n in existing if n.id not in {t for t, _ in targets}], centroid) or _new(
            session, org_id, theme.label, now)
        if need not in existing:
            existing.append(need)
        need.label, need.terms, need.updated_at = theme.label[:200], list(theme.terms)[:10], now
        need.centroid = centroid.astype(np.float32).tobytes()
        targets.append((need.id, _unit(themes_centred(vectors[members], mean).mean(axis=0))))
    _assign_all(session, where, targets, mean)
    session.flush()
    return len(existing)


def themes_centred(rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    from momentos.listening.analysis.themes import centred

    return centred(rows.astype(np.float32), mean.astype(np.float32))


def spread_sample(index: list[tuple[int, datetime]], size: int) -> list[int]:
    """Ids of at most ``size`` texts spread evenly over the weeks of ``index`` (quiet weeks give all they have)."""
    if len(index) <= size:
        return [i for i, _ in index]
    first = min(at for _, at in index)
    weeks: dict[int, list[int]] = defaultdict(list)
    for fid, at in index:
        weeks[int((at - first).total_seconds() // (7 * 86400))].append(fid)
    rng = np.random.default_rng(7)
    out: list[int] = []
    buckets = sorted(weeks.values(), key=len)
    for done, ids in enumerate(buckets):
        quota = (size - len(out)) // (len(buckets) - done)
        out.extend(ids if len(ids) <= quota else rng.choice(ids, size=quota, replace=False).tolist())
    return out


def _load(session: Session, ids: list[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(session.execute(select(Feedback.id, Feedback.text, Feedback.embedding).where(
            Feedback.id.in_(ids[start:start + CHUNK]))).all())
    return sorted(rows, key=lambda r: r.id)


def _assign_all(session: Session, where: tuple[Any, ...], targets: list[tuple[int, np.ndarray]],
                mean: np.ndarray) -> None:
    """Every text of the period to the need whose (centred) theme centroid is nearest, in chunks."""
    if not targets:
        return
    need_ids = [nid for nid, _ in targets]
    matrix = np.vstack([c for _, c in targets])
    by_need: dict[int, list[int]] = defaultdict(list)
    last = 0
    while True:
        chunk = session.execute(select(Feedback.id, Feedback.embedding).where(*where, Feedback.id > last)
                                .order_by(Feedback.id).limit(CHUNK)).all()
        if not chunk:
            break
        last = chunk[-1].id
        x = themes_centred(np.vstack([np.frombuffer(r.embedding, dtype=np.float32) for r in chunk]), mean)
        for r, best in zip(chunk, (x @ matrix.T).argmax(axis=1).tolist(), strict=True):
            by_need[need_ids[best]].append(r.id)
    for nid, ids in by_need.items():
        for start in range(0, len(ids), CHUNK):
            session.execute(update(Feedback).where(Feedback.id.in_(ids[start:start + CHUNK])).values(need_id=nid),
                            execution_options={"synchronize_session": False})


def _match(needs: list[Need], centroid: np.ndarray) -> Need | None:
    best, best_sim = None, MATCH
    for need in needs:
        if need.centroid:
            sim = float(np.dot(np.frombuffer(need.centroid, dtype=np.float32), centroid))
            if sim >= best_sim:
                best, best_sim = need, sim
    return best


def _new(session: Session, org_id: int, label: str, now: datetime) -> Need:
    need = Need(org_id=org_id, label=label[:200], terms=[], created_at=now, updated_at=now)
    session.add(need)
    session.flush()
    return need


def get_need(session: Session, org_id: int, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None or need.org_id != org_id:
        raise NotFound("Need not found.", code="need_not_found", detail={"need_id": need_id})
    return need


def update_need(session: Session, org_id: int, need_id: int, data: NeedUpdate, now: datetime, *,
                actor: Actor) -> Need:
    need = get_need(session, org_id, need_id)
    before = {"name": need.name, "addressed": need.addressed_at is not None}
    if "name" in data.model_fields_set:
        need.name = (data.name or "").strip() or None
    if data.addressed is not None:
        need.addressed_at = (need.addressed_at or now) if data.addressed else None
    need.updated_at = now
    session.flush()
    record_change(session, org_id, actor, "need.update", f"need:{need.id}", before=before,
                  after={"name": need.name, "addressed": need.addressed_at is not None})
    return need


def merge(session: Session, org_id: int, need_id: int, into_id: int, now: datetime, *, actor: Actor) -> Need:
    """Fold ``need_id`` into ``into_id``: its comments move, later refreshes keep it folded."""
    source, target = get_need(session, org_id, need_id), _live(session, get_need(session, org_id, into_id))
    if source.id == target.id:
        raise Conflict("A need cannot be merged into itself.", code="merge_into_self")
    session.execute(update(Feedback).where(Feedback.need_id == source.id).values(need_id=target.id),
                    execution_options={"synchronize_session": False})
    session.execute(update(Need).where(Need.merged_into_id == source.id).values(merged_into_id=target.id),
                    execution_options={"synchronize_session": False})
    source.merged_into_id, source.updated_at, target.updated_at = target.id, now, now
    session.flush()
    record(session, org_id, actor, "need.merge", f"need:{source.id}", before={"merged_into": None},
           after={"merged_into": target.id})
    return target


def merge_all(session: Session, org_id: int, need_ids: list[int], into_id: int, now: datetime, *,
              actor: Actor) -> Need:
    """Fold every need of ``need_ids`` into ``into_id`` (each merge audited); all are checked first, so a bad id
    changes nothing."""
    target = _live(session, get_need(session, org_id, into_id))
    sources = [get_need(session, org_id, nid) for nid in dict.fromkeys(need_ids)]
    if not sources:
        raise ValidationFailed("Choose at least one need to merge.", code="merge_nothing")
    if any(_live(session, n).id == target.id for n in sources):
        raise Conflict("A need cannot be merged into itself.", code="merge_into_self")
    for need in sources:
        merge(session, org_id, need.id, target.id, now, actor=actor)
    return target


def read_need(session: Session, org_id: int, need_id: int, now: datetime) -> NeedRead:
    """One need as the ranked list shows it (addressed or not); a merged need reads as the one it is folded into."""
    live = _live(session, get_need(session, org_id, need_id))
    found = [n for n in ranked(session, org_id, now, include_addressed=True, limit=10_000, only_with_comments=False)
             if n.id == live.id]
    if not found:
        raise NotFound("Need not found.", code="need_not_found", detail={"need_id": need_id})
    return found[0]


def need_customers(session: Session, org_id: int, need_id: int, limit: int = 50) -> list[tuple[str, int]]:
    """The customers who wrote the need's comments (external id, how many), the most frequent first."""
    n = func.count(Feedback.id)
    rows = session.execute(select(Customer.external_id, n).join(Customer, Customer.id == Feedback.customer_id)
                           .where(Feedback.org_id == org_id, Feedback.need_id == need_id)
                           .group_by(Customer.external_id).order_by(n.desc(), Customer.external_id).limit(limit))
    return [(r[0], int(r[1])) for r in rows]


def _writer(row: Any) -> str | None:
    if row.customer_id is not None:
        return f"c{row.customer_id}"
    return f"a{row.author}" if row.author else None


def _components(rows: list[Any], most: int, writers: int, now: datetime) -> tuple[RankComponents, float]:
    n = len(rows)
    analysed = [r for r in rows if r.sentiment is not None]
    negativity = sum(r.sentiment == "neg" for r in analysed) / len(analysed) if analysed else 0.0
    ages = [max(0.0, (now - r.occurred_at).total_seconds() / 86400) for r in rows]
    recency = sum(0.5 ** (a / HALF_LIFE_DAYS) for a in ages) / n if n else 0.0
    touched = ({r.moment for r in rows if r.moment} | {f"promise:{r.promise}" for r in rows if r.promise}
               | {f"service:{r.service_id}" for r in rows if r.service_id is not None})
    reach = len({w for w in map(_writer, rows) if w}) / writers if writers else 0.0
    parts = RankComponents(volume=round(math.log1p(n) / math.log1p(most), 3) if most else 0.0,
                           negativity=round(negativity, 3), recency=round(recency, 3),
                           breadth=round(0.5 * min(1.0, len(touched) / 8) + 0.5 * reach, 3))
    score = sum(WEIGHTS[k] * getattr(parts, k) for k in WEIGHTS)
    return parts, round(score, 3)


def _explain(parts: RankComponents, n: int, neg: float) -> str:
    return (f"{n} comments (volume {parts.volume:.2f} × {WEIGHTS['volume']}), {neg:.0%} negative "
            f"(× {WEIGHTS['negativity']}), recency {parts.recency:.2f} (× {WEIGHTS['recency']}, half-life "
            f"{HALF_LIFE_DAYS:.0f} days), breadth {parts.breadth:.2f} (× {WEIGHTS['breadth']}: moments, services "
            f"and customers touched)")


def ranked(session: Session, org_id: int, now: datetime, *, include_addressed: bool = False,
           limit: int = 50, service_id: int | None = None, only_with_comments: bool = True) -> list[NeedRead]:
    """Needs by score, each counted on its comments of the last 90 days (with ``service_id``, that service's
    only); a need without any is never listed (``only_with_comments=False`` only for reading one need)."""
    needs = {n.id: n for n in session.scalars(select(Need).where(Need.org_id == org_id,
                                                                 Need.merged_into_id.is_(None)))}
    if not include_addressed:
        needs = {k: v for k, v in needs.items() if v.addressed_at is None}
    if not needs:
        return []
    rows = session.execute(select(Feedback.need_id, Feedback.text, Feedback.sentiment, Feedback.moment,
                                  Feedback.promise, Feedback.occurred_at, Feedback.customer_id, Feedback.author,
                                  Feedback.service_id).where(
        Feedback.org_id == org_id, Feedback.need_id.in_(list(needs)), Feedback.occurred_at >= now - WINDOW,
        *([Feedback.service_id == service_id] if service_id is not None else []))).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[r.need_id].append(r)
    if only_with_comments:
        needs = {k: v for k, v in needs.items() if k in grouped}
    most = max((len(v) for v in grouped.values()), default=0)
    writers = len({w for w in map(_writer, rows) if w})
    out = [_read(need, grouped.get(nid, []), most, writers, now) for nid, need in needs.items()]
    return sorted(out, key=lambda n: (-n.score, n.id))[:limit]


def _read(need: Need, rows: list[Any], most: int, writers: int, now: datetime) -> NeedRead:
    parts, score = _components(rows, most, writers, now)
    examples = sorted(rows, key=lambda r: (r.sentiment != "neg", -r.occurred_at.timestamp()))[:3]
    weeks = [0] * TREND_WEEKS
    for r in rows:
        age = int((now - r.occurred_at).total_seconds() // (7 * 86400))
        if 0 <= age < TREND_WEEKS:
            weeks[TREND_WEEKS - 1 - age] += 1
    moments = Counter(r.moment for r in rows if r.moment)
    promises = Counter(r.promise for r in rows if r.promise)
    return NeedRead(id=need.id, label=need.label, name=need.name, terms=list(need.terms or []),
                    addressed=need.addressed_at is not None, score=score, components=parts,
                    explanation=_explain(parts, len(rows), parts.negativity), count=len(rows),
                    negative_share=parts.negativity, moments=[m for m, _ in moments.most_common()],
                    promises=[p for p, _ in promises.most_common()],
                    examples=[(r.text or "")[:300] for r in examples], trend=weeks)
