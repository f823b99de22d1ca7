"""The worker's listening job on the real offline models: unanalysed feedback gets language, sentiment and a
compact embedding; re-analysis is a request away; an organization's rated comments fit its own adapter; needs
are themes ranked with their components shown, and can be named, merged and marked addressed (kept across
refreshes)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow
from momentos.listening import tasks
from momentos.listening.analysis import adapter
from momentos.listening.feedback import service as feedback
from momentos.listening.feedback.schemas import FeedbackIn
from momentos.listening.needs import service as needs
from momentos.models import Feedback, ListeningSettings, Need
from tests.conftest import OrgHandle

LATE = ["El pedido llegó tres días tarde", "Mi paquete llegó con retraso otra vez", "La entrega se retrasó una semana",
        "My parcel arrived four days late", "The delivery was late again", "Late delivery, I waited all week",
        "El envío tardó muchísimo en llegar", "Shipping took forever, the order came late"]
RUDE = ["El repartidor fue muy grosero conmigo", "La atención en tienda fue maleducada y borde",
        "The staff at the counter were rude to me", "Rude and unfriendly customer service agent",
        "El empleado me habló de malas maneras", "The support agent was impolite and dismissive"]
PRAISE = ["Me encanta la app, todo funciona de maravilla", "Excelente producto, muy contento con la compra",
          "Great app, everything works perfectly", "Love the product, very happy with my purchase"]


def _add(db: Session, org_id: int, texts: list[str], source: str = "x", **kwargs: object) -> None:
    now = utcnow()
    items = [FeedbackIn.model_validate({"source": source, "external_id": f"{source}-{i}", "text": t,
                                        "occurred_at": now - timedelta(hours=i), **kwargs})
             for i, t in enumerate(texts)]
    feedback.add_feedback(db, org_id, items, now)


def _drain(factory: sessionmaker[Session]) -> None:
    for _ in range(50):
        now = utcnow()
        if tasks.ANALYSE.run(factory, now) + tasks.WATCH.run(factory, now) == 0:
            return
    raise AssertionError("the listening job did not settle")


def test_feedback_is_analysed_in_the_background_and_can_be_reanalysed(
        db: Session, org: OrgHandle, client: TestClient, worker_factory: sessionmaker[Session]) -> None:
    angry = "El pedido llegó tarde y el repartidor fue muy grosero"
    _add(db, org.id, [angry, PRAISE[2], "@acme https://t.co/abc", "Me encantó el producto but the box was damaged"])
    _drain(worker_factory)
    db.expire_all()
    rows = {r.text: r for r in db.scalars(select(Feedback).where(Feedback.org_id == org.id))}
    late, praise, handles = rows[angry], rows[PRAISE[2]], rows["@acme https://t.co/abc"]
    assert (late.language, late.sentiment) == ("es", "neg") and late.sentiment_score is not None
    assert (praise.language, praise.sentiment) == ("en", "pos")
    assert late.embedding is not None and len(late.embedding) == 4 * np.frombuffer(late.embedding, np.float32).size
    assert all(r.analyzed_at is not None for r in rows.values())  # also the mixed-language one
    assert handles.analyzed_at is not None and handles.analysis_lease is None
    r = client.post("/api/v1/feedback/analysis", headers=org.admin)
    assert r.status_code == 202 and r.json()["queued"] == 4
    db.expire_all()
    assert db.scalar(select(Feedback.analyzed_at).where(Feedback.id == late.id)) is None
    _drain(worker_factory)
    db.expire_all()
    assert db.get_one(Feedback, late.id).sentiment == "neg"


def test_rated_comments_fit_the_organizations_adapter(db: Session, org: OrgHandle,
                                                      worker_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    texts = [*(LATE + RUDE) * 2, *PRAISE * 4]
    db.add_all([Feedback(org_id=org.id, kind="survey", source="survey", external_id=f"s{i}", text=t,
                         nps=2 if t not in PRAISE else 10, perception={}, occurred_at=now, created_at=now)
                for i, t in enumerate(texts)])
    db.flush()
    assert len(texts) >= adapter.MIN_LABELS
    _drain(worker_factory)
    db.expire_all()
    settings = db.scalar(select(ListeningSettings).where(ListeningSettings.org_id == org.id))
    assert settings is not None and settings.adapter_labels == len(texts)
    assert settings.adapter_fitted_at is not None  # decided: on only where cross-validation says it beats the default
    assert settings.adapter_f1 is not None and settings.default_f1 is not None
    assert (settings.adapter is not None) == (settings.adapter_f1 > settings.default_f1)
    assert db.scalar(select(Feedback.id).where(Feedback.org_id == org.id, Feedback.analyzed_at.is_(None))) is None


def test_needs_are_ranked_explained_named_merged_and_addressed(db: Session, org: OrgHandle, client: TestClient,
                                                               worker_factory: sessionmaker[Session]) -> None:
    _add(db, org.id, LATE, source="late", moment=None)
    _add(db, org.id, RUDE + PRAISE, source="other")
    _drain(worker_factory)
    ranked = client.get("/api/v1/needs", headers=org.admin).json()
    assert len(ranked) >= 2, ranked
    top = ranked[0]
    assert set(top["components"]) == {"volume", "negativity", "recency", "breadth"}
    assert top["score"] == max(n["score"] for n in ranked) and "negative" in top["explanation"]
    assert top["examples"] and sum(top["trend"]) == top["count"]
    late_need = db.scalar(select(Feedback.need_id).where(Feedback.org_id == org.id, Feedback.text == LATE[0]))
    assert late_need is not None
    r = client.patch(f"/api/v1/needs/{late_need}", json={"name": "Entregas tarde"}, headers=org.admin)
    assert r.status_code == 200 and r.json()["name"] == "Entregas tarde"
    other = next(n["id"] for n in ranked if n["id"] != late_need)
    r = client.post(f"/api/v1/needs/{other}/merge", json={"into": late_need}, headers=org.admin)
    assert r.status_code == 200 and r.json()["id"] == late_need
    assert other not in [n["id"] for n in client.get("/api/v1/needs", headers=org.admin).json()]
    r = client.patch(f"/api/v1/needs/{late_need}", json={"addressed": True}, headers=org.admin)
    assert r.json()["addressed"] is True
    assert late_need not in [n["id"] for n in client.get("/api/v1/needs", headers=org.admin).json()]
    needs.refresh(db, org.id, utcnow())  # a later refresh keeps the name (matched by centroid)
    assert db.get_one(Need, late_need).name == "Entregas tarde"


def test_a_text_changed_during_its_analysis_is_not_overwritten(db: Session, org: OrgHandle,
                                                               worker_factory: sessionmaker[Session]) -> None:
    from momentos.listening.analysis import job as analysis_job

    _add(db, org.id, [PRAISE[0]])
    now = utcnow()
    with worker_factory.begin() as session:
        claimed = analysis_job.claim(session, now)
    assert claimed is not None and claimed.texts == [PRAISE[0]]
    with worker_factory.begin() as session:
        assert analysis_job.claim(session, now) is None  # leased: a second worker finds nothing to do
    row = db.scalar(select(Feedback).where(Feedback.org_id == org.id))
    assert row is not None
    row.text = RUDE[0]  # corrected meanwhile (e.g. a survey answer edited)
    db.flush()
    from momentos.listening.analysis import analyze

    with worker_factory.begin() as session:
        assert analysis_job.store(session, claimed, list(analyze(claimed.texts)), now) == 0
    db.expire_all()
    fresh = db.get_one(Feedback, row.id)
    assert fresh.analyzed_at is None and fresh.analysis_lease is None  # analysed again next round, on the new text
