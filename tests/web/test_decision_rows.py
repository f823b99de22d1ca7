"""One row per notification on the contact-decisions page: the worker's re-checks before each try fold under the
notification's newest decision instead of adding a row each ("Send · queued" sixteen times for three messages)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.models import ContactDecision
from momentos.notify.outbox import NotificationIn, enqueue
from tests.conftest import OrgHandle
from tests.notify.helpers import customer, shop
from tests.web.seed import sign_in as sign_in_client


def _decision(db: Session, org: OrgHandle, customer_id: int, notification_id: int | None, outcome: str,
              stage: str, minutes: int) -> None:
    db.add(ContactDecision(org_id=org.id, customer_id=customer_id, notification_id=notification_id, stage=stage,
                           purpose="transactional", priority="transactional", outcome=outcome, channel="email",
                           reasons=[{"code": "quiet_hours", "params": {}}] if outcome == "defer" else
                           [{"code": "allowed", "params": {"channel": "email"}}],
                           decided_at=utcnow() + timedelta(minutes=minutes)))
    db.flush()


def test_retries_fold_into_one_row_per_notification(client: TestClient, db: Session, org: OrgHandle) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    rows = []
    for key in ("receipt", "reminder", "notice"):
        n = enqueue(db, org.id, NotificationIn(customer_id=ana.id, purpose="transactional", template="message",
                                               priority="transactional", dedup_key=key,
                                               params={"subject": key, "text": "x"}), utcnow())
        assert n is not None
        rows.append(n)
    for k, n in enumerate(rows):  # the worker re-checked each one several times before it went out
        for minute in range(1, 5):
            _decision(db, org, ana.id, n.id, "defer" if minute < 4 else "send", "send", 10 * k + minute)
    _decision(db, org, ana.id, None, "suppress", "request", 60)  # a contact that never became a notification
    sign_in_client(client, org.keys.admin_key)
    for lang, earlier in (("es", "comprobaciones anteriores"), ("en", "earlier checks")):
        page = client.get(f"/customers/ana/contact-decisions?lang={lang}")
        assert page.status_code == 200
        assert page.text.count('data-testid="decision"') == 4  # three notifications and the lone decision
        assert page.text.count('data-testid="earlier"') == 3
        # each notification's row: its newest decision (sent), the request and three deferrals folded under it
        assert page.text.count('data-testid="earlier-decision"') == 3 * 4
        assert earlier in page.text
