"""A customer's consent grid reads statements the way the contact policy does: the most specific statement wins,
and with none the organization's assumption for the purpose (its contact rules' ``default_consent``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.customers import service as customers
from momentos.dashboard.consent_grid import Cell, consent_grid
from momentos.kit.clock import utcnow
from momentos.models import Consent
from momentos.policy.schemas import RuleSet
from momentos.policy.service import set_rules
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def _cells(db: Session, org: OrgHandle) -> dict[tuple[str, str], Cell]:
    grid = consent_grid(db, org.id, customers.get_customer(db, org.id, "ana"))
    return {(c.channel, c.purpose): c for _, cells in grid.rows for c in cells}


def test_the_most_specific_statement_wins_and_silence_means_the_assumption(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    send(db, org.id, event("ana", "signed_up", service="shop"))
    ana = customers.get_customer(db, org.id, "ana")
    for channel, purpose, granted in (("*", "survey", True), ("email", "*", False), ("sms", "marketing", True)):
        db.add(Consent(org_id=org.id, customer_id=ana.id, channel=channel, purpose=purpose, granted=granted,
                       updated_at=utcnow()))
    db.flush()
    cells = _cells(db, org)
    seen = {k: (c.state, c.scope, c.allowed) for k, c in cells.items()}
    assert seen[("email", "survey")] == ("withdrawn", "channel", False)  # email/* is more specific than */survey
    assert seen[("sms", "survey")] == ("granted", "purpose", True)
    assert seen[("sms", "marketing")] == ("granted", "exact", True)
    assert seen[("whatsapp", "status")] == ("not_stated", "assumed", True)
    assert seen[("whatsapp", "marketing")] == ("not_stated", "assumed", False)
    assert len(cells) == 4 * 5
    set_rules(db, org.id, "org", RuleSet(default_consent={"marketing": True}), utcnow(), actor=Actor.cli("tests"))
    grid = consent_grid(db, org.id, ana)
    assert grid.assumed["marketing"] is True and not grid.do_not_contact
    assert _cells(db, org)[("whatsapp", "marketing")].allowed is True
