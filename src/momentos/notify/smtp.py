"""E-mail over SMTP; the notification's delivery id is the stable ``Message-ID`` (the same on every retry).

A worker keeps one connection open across messages (reconnecting when the server closes it)."""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from momentos.notify.channels import DeliveryError, Message
from momentos.notify.settings import NotifySettings


def hard_bounce(codes: list[int]) -> bool:
    """A 5xx reply to RCPT or DATA (e.g. 550: no such mailbox) is final; a 4xx (e.g. 421, 450) is worth a retry."""
    return bool(codes) and all(500 <= code < 600 for code in codes)


def message_id(delivery_id: str, domain: str) -> str:
    return f"<{delivery_id}@{domain}>"


def build(settings: NotifySettings, to: str, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(message.delivery_id, settings.message_id_domain)
    mail["Content-Language"] = message.language
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class Mailer:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds)
        if s.smtp_starttls:
            smtp.starttls()
        if s.smtp_username and s.smtp_password:
            smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
        return smtp

    def send(self, to: str, message: Message) -> None:
        mail = build(self.settings, to, message)
        try:
            if self._smtp is not None:
                try:
                    self._smtp.send_message(mail)
                    return
                except smtplib.SMTPServerDisconnected:
                    self._smtp = None
            self._smtp = self._connect()
            self._smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise self._failed(f"smtp: recipient refused: {exc.recipients}", hard_bounce(codes)) from exc
        except smtplib.SMTPDataError as exc:
            raise self._failed(f"smtp: message refused: {exc.smtp_code} {exc.smtp_error!r}",
                               hard_bounce([exc.smtp_code])) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failed(f"smtp: {type(exc).__name__}: {exc}", False) from exc

    def _failed(self, message: str, permanent: bool) -> DeliveryError:
        """A hard bounce keeps the connection (the server goes on with the next message); anything else (a 4xx,
        a dropped connection) closes it, and the message is retried later."""
        if not permanent:
            self.close()
        return DeliveryError(message, permanent=permanent, failure="hard_bounce")

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None
