"""Templates per purpose and moment in es and en: packaged defaults translated through the catalogs, organization
overrides (most specific first, sandboxed, HTML autoescaped), previews for a sample or a real process, and the
worker sending an override's text."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.audit.service import Actor
from momentos.errors import ValidationFailed
from momentos.kit.clock import utcnow
from momentos.models import Process
from momentos.notify.render import SAMPLE, render_notification
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.notify.template_overrides import delete_override, put_override
from tests.conftest import OrgHandle
from tests.notify.helpers import customer, notifications, ship, shop
from tests.notify.receivers import Inbox

BASE = "/api/v1/notification-templates"


@pytest.mark.parametrize("purpose", ["status", "promise", "survey", "marketing", "transactional"])
def test_every_purpose_has_a_packaged_default_in_spanish_and_english(db: Session, org: OrgHandle,
                                                                    purpose: str) -> None:
    es = render_notification(db, org.id, purpose, None, "email", "es", SAMPLE)
    en = render_notification(db, org.id, purpose, None, "email", "en", SAMPLE)
    assert es.source == en.source == f"packaged:{purpose}.txt"
    assert es.text.startswith("Hola Ana:") and en.text.startswith("Hello Ana,")
    assert es.subject and en.subject and es.subject != en.subject and es.html is None


def test_a_moment_can_have_its_own_packaged_text(db: Session, org: OrgHandle) -> None:
    delivery = render_notification(db, org.id, "status", "delivery", "email", "en", SAMPLE)
    other = render_notification(db, org.id, "status", "use", "email", "en", SAMPLE)
    assert delivery.source == "packaged:status.delivery.txt" and "on its way" in delivery.text
    assert other.source == "packaged:status.txt" and "is now at: Delivery" in other.text


def test_overrides_match_moment_and_channel_before_any_and_fall_back_when_deleted(db: Session,
                                                                                 org: OrgHandle) -> None:
    now = utcnow()
    for moment, channel, tag in (("*", "*", "any"), ("*", "sms", "sms"), ("delivery", "*", "delivery"),
                                 ("delivery", "sms", "delivery-sms")):
        put_override(db, org.id, "status", moment, channel, "es", subject=f"[{tag}] {{{{ moment_name }}}}",
                     body="{{ customer_name }}: " + tag, html=None, now=now, actor=Actor.cli("tests"))

    def tag(moment: str | None, channel: str) -> str:
        return render_notification(db, org.id, "status", moment, channel, "es", SAMPLE).text.split(": ")[1].strip()

    assert tag("delivery", "sms") == "delivery-sms" and tag("delivery", "email") == "delivery"
    assert tag("use", "sms") == "sms" and tag("use", "email") == "any" and tag(None, "webhook") == "any"
    assert render_notification(db, org.id, "status", "use", "email", "es", SAMPLE).subject == \
        "[any] Entrega y prestación"
    # English has no override: the packaged text
    assert render_notification(db, org.id, "status", "use", "email", "en", SAMPLE).source == "packaged:status.txt"
    delete_override(db, org.id, "status", "*", "*", "es", actor=Actor.cli("tests"))
    assert render_notification(db, org.id, "status", "use", "email", "es", SAMPLE).source == "packaged:status.txt"


def test_overrides_are_checked_in_a_sandbox(db: Session, org: OrgHandle) -> None:
    now = utcnow()
    for body in ("{{ unknown_variable }}", "{% for x in %}", "{{ customer_name.__class__.__mro__ }}",
                 "{{ ''.__class__.__subclasses__() }}"):
        with pytest.raises(ValidationFailed) as caught:
            put_override(db, org.id, "status", "*", "*", "es", subject="s", body=body, html=None, now=now,
                actor=Actor.cli("tests"))
        assert caught.value.code == "invalid_template"


def test_html_body_autoescapes_the_parameters(db: Session, org: OrgHandle) -> None:
    put_override(db, org.id, "marketing", "*", "email", "en", subject="{{ subject }}",
                 body="Hi {{ customer_name }}", html="<p>Hi {{ customer_name }}</p>", now=utcnow(),
                     actor=Actor.cli("tests"))
    rendered = render_notification(db, org.id, "marketing", None, "email", "en",
                                   {**SAMPLE, "customer_name": "<script>alert(1)</script>"})
    assert rendered.html == "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert "<script>" in rendered.text  # the text part is plain text, not HTML


def test_override_api_list_put_preview_delete(db: Session, org: OrgHandle, client: TestClient) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com", language="en").name = "Ana"
    ship(db, org.id, "ana")
    pid = db.scalar(select(Process.id).where(Process.org_id == org.id))
    catalog = client.get(BASE, headers=org.admin).json()
    assert "status" in catalog["purposes"] and "status_url" in catalog["variables"] and catalog["overrides"] == []
    r = client.put(f"{BASE}/status/en?moment=delivery", headers=org.admin,
                   json={"subject": "{{ org_name }} · {{ moment_name }}",
                         "body": "Dear {{ customer_name }}, now at {{ moment_name }}. {{ status_url }}"})
    assert r.status_code == 200, r.text
    bad = client.put(f"{BASE}/status/en", headers=org.admin, json={"subject": "x", "body": "{{ nope }}"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_template"
    assert client.put(f"{BASE}/nonsense/en", headers=org.admin, json={"subject": "x", "body": "y"}).status_code == 404
    # preview for the real process (its moment, customer, link) and for the sample, in both languages
    real = client.get(f"{BASE}/status/preview", params={"process_id": pid}, headers=org.admin).json()
    assert real["language"] == "en" and real["source"].startswith("override:")
    assert real["text"].startswith("Dear Ana, now at Delivery.") and real["text"].endswith("/s/preview\n")
    sample_es = client.get(f"{BASE}/status/preview", params={"lang": "es"}, headers=org.admin).json()
    assert sample_es["source"] == "packaged:status.txt" and "Tienda en línea" in sample_es["text"]
    draft = client.post(f"{BASE}/survey/preview?lang=es", headers=org.admin,
                        json={"subject": "¿Qué tal?", "body": "{{ survey_url }}"}).json()
    assert draft["text"] == "https://momentos.example/survey/sample\n" and draft["source"] == "draft"
    assert client.delete(f"{BASE}/status/en?moment=delivery", headers=org.admin).status_code == 204
    assert client.delete(f"{BASE}/status/en?moment=delivery", headers=org.admin).status_code == 404
    assert client.get(BASE, headers=org.admin).json()["overrides"] == []


def test_worker_sends_the_override_with_an_html_part(db: Session, org: OrgHandle, inbox: Inbox,
                                                    notify_settings: NotifySettings,
                                                    worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com", language="es")
    put_override(db, org.id, "status", "delivery", "email", "es", subject="Tu pedido: {{ moment_name }}",
                 body="Sigue tu pedido: {{ status_url }}", html="<p><a href=\"{{ status_url }}\">Sigue</a></p>",
                 now=utcnow(), actor=Actor.cli("tests"))
    ship(db, org.id, "ana")
    assert run(worker_factory, notify_settings, "w1", once=True) == 1
    [n] = notifications(db, org.id)
    [mail] = inbox.messages
    assert str(make_header(decode_header(mail["Subject"]))) == "Tu pedido: Entrega y prestación"
    assert mail.is_multipart()
    text, html = (part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart())
    assert text.startswith("Sigue tu pedido: https://momentos.example/s/") and n.status == "sent"
    assert html.startswith('<p><a href="https://momentos.example/s/')
