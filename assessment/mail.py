"""Sending plain-text e-mail through the configured SMTP server (smtplib).

Three ways to reach the server, all from the environment: plain (port 25 on a trusted
network), STARTTLS (``SMTP_STARTTLS=1``, port 587: the connection is upgraded before the
login) and implicit TLS (``SMTP_SSL=1``, port 465: TLS from the first byte). Certificates
are verified against the system's CAs, or ``SMTP_CA_FILE`` for a private CA; the host name
must match. ``SMTP_TIMEOUT`` bounds the connection and every reply.

Nothing here knows about notices or requests: callers build (address, subject, body)
triples and decide what a failure means (see operations/notices.py)."""
from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SEND_ERRORS = (OSError, smtplib.SMTPException)
DEFAULT_SENDER = "bakohumas@kpu.go.id"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    implicit_tls: bool = False
    sender: str = DEFAULT_SENDER
    sender_name: str = ""
    timeout: float = 10.0
    ca_file: str | None = None

    @property
    def security(self) -> str:
        return "implicit TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "plain"


def settings_from(config) -> MailSettings | None:
    """The SMTP settings from a Flask config, or None when e-mail is not configured."""
    host = (config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    implicit = bool(config.get("SMTP_SSL"))
    return MailSettings(host=host, port=int(config.get("SMTP_PORT") or (465 if implicit else 25)),
                        user=config.get("SMTP_USER") or None,
                        password=config.get("SMTP_PASSWORD") or None,
                        starttls=bool(config.get("SMTP_STARTTLS")) and not implicit,
                        implicit_tls=implicit,
                        sender=config.get("MAIL_FROM") or DEFAULT_SENDER,
                        sender_name=(config.get("MAIL_FROM_NAME") or "").strip(),
                        timeout=float(config.get("SMTP_TIMEOUT") or 10),
                        ca_file=config.get("SMTP_CA_FILE") or None)


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, or only SMTP_CA_FILE's when set."""
    return ssl.create_default_context(cafile=settings.ca_file)


@contextmanager
def connect(settings: MailSettings):
    """An SMTP connection, secured as configured and logged in when a user is set."""
    if settings.implicit_tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=tls_context(settings))
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=tls_context(settings))
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        yield smtp


def build_message(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    user, _at, domain = settings.sender.rpartition("@")
    # the display name is encoded by the header registry; no line breaks can get through
    name = " ".join(settings.sender_name.split())
    msg["From"] = Address(display_name=name, username=user, domain=domain) if name else settings.sender
    msg["To"] = to
    # header injection: a subject never spans lines
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=domain or None)
    msg.set_content(body)
    return msg


def send(settings: MailSettings, messages: list[EmailMessage]) -> dict[str, str]:
    """Send the messages over one connection; returns {recipient: error} for the refused
    ones. A connection, TLS or login failure raises one of SEND_ERRORS."""
    refused: dict[str, str] = {}
    with connect(settings) as smtp:
        for msg in messages:
            try:
                smtp.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused) as exc:
                refused[msg["To"]] = str(exc)
    return refused
