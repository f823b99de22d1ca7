"""The audit log page (owners only): who changed what and when, newest first, with the fields each change touched
(before → after), filtered by kind of change, person or key, target and days, a page of entries at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentos.audit import service as audit
from momentos.auth.deps import DbSession
from momentos.kit import i18n
from momentos.models import AuditEntry
from momentos.web.access import Owner
from momentos.web.labels import LABELS
from momentos.web.rendering import PagesDep

router = APIRouter()
PER_PAGE = 50


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any
    had_before: bool
    has_after: bool


@dataclass(frozen=True)
class EntryView:
    entry: AuditEntry
    changes: list[Change]


def changes_of(entry: AuditEntry) -> list[Change]:
    """Each field of the entry's summaries, with its value before and after (a field only on one side was added or
    removed)."""
    before, after = entry.before or {}, entry.after or {}
    names = [*before, *(name for name in after if name not in before)]
    return [Change(name, before.get(name), after.get(name), name in before, name in after) for name in names]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _id(value: str | None) -> int | None:
    """An entry id from the query, or None (not a number, or beyond what a column holds)."""
    number = int(value) if value is not None and value.strip().isdigit() and len(value.strip()) < 20 else None
    return number if number is not None and number < 2**63 else None


def _start_of(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=i18n.zone(tz))


@router.get("/settings/audit", name="audit_log")
def audit_page(request: Request, viewer: Owner, session: DbSession, pages: PagesDep, action: str = "",
               actor: str = "", target: str = "", start: Annotated[str, Query(alias="from")] = "",
               end: Annotated[str, Query(alias="to")] = "", before: str | None = None) -> Response:
    """``from``/``to``: days (``YYYY-MM-DD``, both included) in the organization's time zone; ``before``: the
    last entry id of the previous page."""
    action, actor, target = action.strip()[:64], actor.strip()[:255], target.strip()[:255]
    first, last = _day(start), _day(end)
    rows = audit.entries(session, viewer.org_id, before_id=_id(before), limit=PER_PAGE + 1, action=action or None,
                         actor=actor or None, target=target or None,
                         since=_start_of(first, viewer.timezone) if first else None,
                         until=_start_of(last + timedelta(days=1), viewer.timezone) if last else None)
    shown = rows[:PER_PAGE]
    filters = {"action": action, "actor": actor, "target": target, "from": first.isoformat() if first else "",
               "to": last.isoformat() if last else ""}
    query = {k: v for k, v in filters.items() if v}
    older = (f"/settings/audit?{urlencode({**query, 'before': shown[-1].id})}"
             if len(rows) > PER_PAGE else None)
    newest = f"/settings/audit?{urlencode(query)}" if before else None
    return pages.render(request, "audit.html", {
        "entries": [EntryView(e, changes_of(e)) for e in shown], "filters": filters,
        "actions": list(LABELS["audit_action"]), "older": older, "newest": newest,
        "filtered": bool(query)}, viewer=viewer)
