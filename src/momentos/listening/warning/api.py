"""Thin routes of early warning: the alerts (warning episodes) and the listening settings (the alert address; the
organization's sentiment adapter, read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from momentos.auth.deps import Admin, DbSession
from momentos.kit.clock import utcnow
from momentos.listening.analysis.service import read_settings
from momentos.listening.warning import service as early_warning
from momentos.listening.warning.schemas import AlertRead, SettingsIn, SettingsRead
from momentos.models import ListeningSettings

router = APIRouter(prefix="/api/v1", tags=["listening"])


@router.get("/listening/alerts")
def list_alerts(p: Admin, session: DbSession, limit: int = Query(100, ge=1, le=1000)) -> list[AlertRead]:
    return [AlertRead.model_validate(r) for r in early_warning.list_episodes(session, p.org_id, limit)]


def _settings_read(row: ListeningSettings) -> SettingsRead:
    return SettingsRead(alert_email=row.alert_email, adapter_labels=row.adapter_labels,
                        adapter_fitted_at=row.adapter_fitted_at)


@router.get("/listening/settings")
def get_settings(p: Admin, session: DbSession) -> SettingsRead:
    return _settings_read(read_settings(session, p.org_id, utcnow()))


@router.put("/listening/settings")
def put_settings(data: SettingsIn, p: Admin, session: DbSession) -> SettingsRead:
    return _settings_read(early_warning.set_alert_email(session, p.org_id, data.alert_email, utcnow(),
                                                        actor=p.actor))
