"""Thin routes of feedback: items from other sources, their list, and a new analysis of them all."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from momentos.auth.deps import Admin, DbSession, Writer
from momentos.errors import ValidationFailed
from momentos.kit.clock import utcnow
from momentos.kit.params import BigInt
from momentos.listening.analysis.service import mark_for_analysis
from momentos.listening.feedback import service as feedback
from momentos.listening.feedback.schemas import AnalyzeResult, FeedbackBatch, FeedbackRead, FeedbackResult

router = APIRouter(prefix="/api/v1", tags=["listening"])


@router.post("/feedback")
def add_feedback(data: FeedbackBatch, p: Writer, session: DbSession) -> FeedbackResult:
    """Complaints, reviews, mentions: all items or none; (source, external id) already stored are skipped."""
    try:
        return feedback.add_feedback(session, p.org_id, data.items, utcnow())
    except feedback.BadItem as exc:
        raise ValidationFailed(f"items[{exc.index}]: {exc.reason}", code="bad_feedback",
                               detail={"index": exc.index, "reason": exc.reason}) from exc


@router.get("/feedback")
def list_feedback(p: Admin, session: DbSession, limit: int = Query(100, ge=1, le=1000), after: BigInt | None = None,
                  source: str | None = Query(None, max_length=64), need: BigInt | None = None,
                  service: str | None = Query(None, max_length=64), moment: str | None = Query(None, max_length=64),
                  sentiment: Literal["pos", "neu", "neg"] | None = None) -> list[FeedbackRead]:
    """Oldest first after the id ``after``; narrowed by service (key), moment, sentiment, source and need."""
    where = feedback.make_filter(session, p.org_id, service=service, moment=moment, sentiment=sentiment,
                                 source=source, need_id=need)
    rows = feedback.list_feedback(session, p.org_id, where, limit=limit, after_id=after)
    return [FeedbackRead.model_validate(r) for r in rows]


@router.post("/feedback/analysis", status_code=202)
def reanalyse(p: Admin, session: DbSession) -> AnalyzeResult:
    """Queue every text of the organization for a new analysis by the workers."""
    return AnalyzeResult(queued=mark_for_analysis(session, p.org_id))
