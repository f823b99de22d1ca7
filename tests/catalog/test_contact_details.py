"""A service's contact details: set by API and on its configuration page, checked, audited, and shown on the status
page of its processes as links (tel:, mailto:, https:) beside each channel."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.kit.clock import utcnow
from momentos.models import Process
from momentos.notify.status_tokens import ensure_token
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send
from tests.web.seed import csrf_of, sign_in

DETAILS = {"phone": "+34 900 123 456", "email": "ayuda@tienda.example", "web": "https://tienda.example/ayuda",
           "store": "Calle Mayor 1, Madrid"}


def test_set_by_api_checked_and_shown_on_the_status_page(client: TestClient, db: Session, org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    r = client.patch("/api/v1/services/shop", json={"contact_details": DETAILS}, headers=org.admin)
    assert r.status_code == 200, r.text
    assert r.json()["contact_details"] == DETAILS
    for bad in ({"web": "javascript:alert(1)"}, {"email": "not an address"}, {"fax": "123"},
                {"phone": "9" * 201}):
        r = client.patch("/api/v1/services/shop", json={"contact_details": bad}, headers=org.admin)
        assert r.status_code == 422 and {"code", "message", "detail"} <= set(r.json()), (bad, r.text)
    assert client.get("/api/v1/services/shop", headers=org.admin).json()["contact_details"] == DETAILS
    audit = client.get("/api/v1/audit", params={"action": "service.update"}, headers=org.admin).json()
    assert any((e.get("after") or {}).get("contact_details") == DETAILS for e in audit["entries"])

    send(db, org.id, event("ana", "order_placed", service="shop"))
    process_id = db.scalar(select(Process.id).where(Process.org_id == org.id))
    assert process_id is not None
    token = ensure_token(db, org.id, process_id, utcnow())
    html = client.get(f"/s/{token}?lang=es").text
    assert 'href="tel:+34900123456"' in html and 'href="mailto:ayuda@tienda.example"' in html
    assert 'href="https://tienda.example/ayuda"' in html and "Calle Mayor 1, Madrid" in html
    assert "javascript:" not in html


def test_set_on_the_configuration_page_keeping_the_input_on_a_mistake(client: TestClient, db: Session,
                                                                      org: OrgHandle) -> None:
    make_service(db, org.id, key="shop")
    sign_in(client, org.keys.admin_key)
    token = csrf_of(client.get("/config/services/shop").text)
    r = client.post("/config/services/shop/contact", data={"csrf": token, "contact_email": "nope",
                                                           "contact_phone": "+34 900 123 456"},
                    headers={"accept-language": "es"}, follow_redirects=False)
    assert r.status_code == 400
    assert "No es una dirección de correo electrónico." in r.text and 'value="+34 900 123 456"' in r.text
    r = client.post("/config/services/shop/contact", data={"csrf": token, "contact_email": "ayuda@x.example",
                                                           "contact_phone": "+34 900 123 456"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/config/services/shop", headers={"accept-language": "en"}).text
    assert 'value="ayuda@x.example"' in page and "How customers reach you" in page
