"""Channel adapters: Standard Webhooks signatures (and rotation), SSRF checks, the HTTP SMS adapter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from momentos.notify.channels import DeliveryError, Message
from momentos.notify.sms import HttpSmsProvider
from momentos.notify.ssrf import UnsafeUrl, check_url
from momentos.notify.webhook import new_secret, post, sign, verify
from tests.notify.receivers import webhook_receiver

ALLOW_LOOPBACK = ["127.0.0.1/32"]


def test_signature_is_hmac_sha256_over_id_timestamp_body_as_the_spec_says() -> None:
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    header = sign([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_signs_with_every_secret_so_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    header = sign([new, old], "msg_1", 1700000000, b"{}")
    assert len(header.split()) == 2
    assert verify(old, "msg_1", 1700000000, b"{}", header) and verify(new, "msg_1", 1700000000, b"{}", header)
    assert not verify(new_secret(), "msg_1", 1700000000, b"{}", header)
    assert not verify(new, "msg_1", 1700000001, b"{}", header)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost:8080/", "http://10.1.2.3/",
                                 "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/",
                                 "http://0.0.0.0/", "ftp://example.com/", "http://user:pw@example.com/",
                                 "http://no-such-host.invalid/"])
def test_private_loopback_metadata_and_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url)


def test_allow_list_admits_a_named_network_only() -> None:
    assert check_url("http://127.0.0.1:9/hook", ALLOW_LOOPBACK).address == "127.0.0.1"
    with pytest.raises(UnsafeUrl):
        check_url("http://10.0.0.1/", ALLOW_LOOPBACK)


def test_redirects_are_not_followed() -> None:
    with webhook_receiver() as hooks, httpx.Client() as client:
        hooks.fail_first = 0
        with pytest.raises(UnsafeUrl):  # checked again at send time, before any byte leaves
            post(client, hooks.url, [new_secret()], "msg", 1, b"{}", allow=[])

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/"})

    with httpx.Client(transport=httpx.MockTransport(redirect)) as client, pytest.raises(DeliveryError, match="302"):
        post(client, "http://127.0.0.1:1/hook", [new_secret()], "msg", 1, b"{}", allow=ALLOW_LOOPBACK)


def test_http_sms_adapter_posts_with_an_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202 if len(seen) == 1 else 400)

    sms = HttpSmsProvider("https://sms.example/send", "tok", 5, transport=httpx.MockTransport(provider))
    message = Message("d-1", "Hi", "Your order shipped", "en")
    sms.send("sms", "+5215550000", message)
    assert seen[0].headers["idempotency-key"] == "d-1" and seen[0].headers["authorization"] == "Bearer tok"
    assert json.loads(seen[0].content) == {"channel": "sms", "to": "+5215550000", "text": "Your order shipped",
                                           "id": "d-1"}
    with pytest.raises(DeliveryError) as failure:
        sms.send("whatsapp", "+5215550000", message)
    assert failure.value.permanent


def test_hmac_helper_matches_a_manual_computation() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, b"i.5.body", hashlib.sha256).digest()).decode()
    assert sign([secret], "i", 5, b"body") == f"v1,{expected}"


def test_a_worker_batch_stops_before_its_lease_could_expire() -> None:
    import time

    from momentos.notify.settings import NotifySettings
    from momentos.notify.tasks import Deliverer, Job, deliver_batch
    from tests.notify.receivers import smtp_server

    with smtp_server() as inbox:
        deliverer = Deliverer(NotifySettings(smtp_port=inbox.port, timeout_seconds=10))
        jobs = [Job(i, "email", f"c{i}@example.com", Message(f"d{i}", "s", "t", "en")) for i in range(3)]
        try:
            results = deliver_batch(deliverer, jobs, time.monotonic() + 5)  # the lease ends within one timeout
        finally:
            deliverer.close()
        assert [(job.notification_id, error) for job, error in results] == [(0, None)]
        assert len(inbox.messages) == 1


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (404, True), (422, True), (408, False),
                                                   (429, False), (500, False), (503, False)])
def test_a_4xx_from_the_sms_provider_is_permanent_except_timeouts_and_throttling(status: int,
                                                                                 permanent: bool) -> None:
    from tests.notify.receivers import sms_provider

    with sms_provider(status=status) as texts:
        sms = HttpSmsProvider(texts.url, None, 5)
        with pytest.raises(DeliveryError) as failed:
            sms.send("sms", "+5215550000", Message("d-1", "Hi", "Text", "en"))
    assert failed.value.permanent is permanent
    assert failed.value.failure == ("provider_rejected" if permanent else None)


@pytest.mark.parametrize(("reply", "permanent"), [("550 5.1.1 No such user", True), ("553 Bad address", True),
                                                  ("450 4.2.1 Mailbox busy", False), ("421 4.3.2 Later", False)])
def test_smtp_5xx_to_rcpt_is_a_hard_bounce_and_4xx_a_temporary_failure(reply: str, permanent: bool) -> None:
    from momentos.notify.settings import NotifySettings
    from momentos.notify.smtp import Mailer
    from tests.notify.receivers import smtp_server

    with smtp_server(rcpt_reply=reply) as inbox:
        mailer = Mailer(NotifySettings(smtp_port=inbox.port, timeout_seconds=5))
        try:
            with pytest.raises(DeliveryError) as failed:
                mailer.send("x@example.com", Message("d-1", "s", "t", "en"))
        finally:
            mailer.close()
    assert failed.value.permanent is permanent and reply.split()[0] in str(failed.value)
    assert failed.value.failure == ("hard_bounce" if permanent else None)
