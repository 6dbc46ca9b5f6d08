"""Sending plain-text e-mail through the configured SMTP server (smtplib).

Nothing here knows about notices or requests: callers build (address, subject, body)
triples and decide what a failure means (see operations/notices.py)."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SEND_ERRORS = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "bakohumas@kpu.go.id"
    timeout: float = 10.0


def settings_from(config) -> MailSettings | None:
    """The SMTP settings from a Flask config, or None when e-mail is not configured."""
    host = (config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    return MailSettings(host=host, port=int(config.get("SMTP_PORT") or 25),
                        user=config.get("SMTP_USER") or None,
                        password=config.get("SMTP_PASSWORD") or None,
                        starttls=bool(config.get("SMTP_STARTTLS")),
                        sender=config.get("MAIL_FROM") or "bakohumas@kpu.go.id",
                        timeout=float(config.get("SMTP_TIMEOUT") or 10))


def build_message(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    # header injection: a subject never spans lines
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


def send(settings: MailSettings, messages: list[EmailMessage]) -> dict[str, str]:
    """Send the messages over one connection; returns {recipient: error} for the refused
    ones. A connection or login failure raises one of SEND_ERRORS."""
    refused: dict[str, str] = {}
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        for msg in messages:
            try:
                smtp.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused) as exc:
                refused[msg["To"]] = str(exc)
    return refused
