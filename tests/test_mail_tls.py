"""SMTP security from the environment: STARTTLS, implicit TLS (port 465), the timeout and the
sender's name, each against a real aiosmtpd server on loopback with a certificate issued in
the test by a throw-away CA (trustme), never a mock of smtplib."""
from __future__ import annotations

import email
import socket
from email.headerregistry import Address

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from assessment import mail
from assessment.config import ConfigError, finish, from_environment
from assessment.models import AuditLog, Notice
from assessment.operations.notices import notify

trustme = pytest.importorskip("trustme", reason="pip install -e '.[test]' (trustme)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": msg["From"],
                              "tls": server.transport.get_extra_info("ssl_object") is not None,
                              "login": session.auth_data})
        return "250 OK"


def accept_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"bakohumas" \
        and auth_data.password == b"rahasia-smtp"
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def server_context(ca):
    """The server's certificate for 127.0.0.1, issued by the test CA."""
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def start(collector, **kwargs) -> Controller:
    controller = Controller(collector, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def implicit_tls(app, server_context, ca_file):
    """A server speaking TLS from the first byte, as on port 465."""
    collector = Collector()
    controller = start(collector, ssl_context=server_context)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SSL=True,
                      SMTP_CA_FILE=ca_file, MAIL_FROM="noreply@kpu.test",
                      MAIL_FROM_NAME="Penilaian Bakohumas KPU")
    yield collector
    controller.stop()


@pytest.fixture
def starttls(app, server_context, ca_file):
    """A server that requires STARTTLS before anything else, and a login after it."""
    collector = Collector()
    controller = start(collector, tls_context=server_context, require_starttls=True,
                       authenticator=accept_login, auth_required=True)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=True,
                      SMTP_CA_FILE=ca_file, SMTP_USER="bakohumas", SMTP_PASSWORD="rahasia-smtp",
                      MAIL_FROM="noreply@kpu.test", MAIL_FROM_NAME="Biro Humas KPU")
    yield collector
    controller.stop()


def notice_to(session, make_user, username="op-33"):
    user = make_user(username, unit_code="33", email=f"{username}@kpu.test")
    notify(session, [user], "info", "Judul", "Isi pesan.")
    session.commit()
    return session.query(Notice).filter_by(user_id=user.id).one()


def test_implicit_tls_on_port_465_style_server(app, session, make_user, implicit_tls):
    notice = notice_to(session, make_user)
    assert notice.email_status == "sent" and notice.emailed_at is not None
    [message] = implicit_tls.messages
    assert message["tls"] and message["to"] == ["op-33@kpu.test"]
    assert message["from"] == "Penilaian Bakohumas KPU <noreply@kpu.test>"


def test_starttls_with_login(app, session, make_user, starttls):
    notice = notice_to(session, make_user)
    assert notice.email_status == "sent"
    [message] = starttls.messages
    assert message["tls"] and message["login"] == b"bakohumas"
    assert message["from"] == "Biro Humas KPU <noreply@kpu.test>"


def test_without_starttls_the_server_refuses_and_the_notice_is_kept(app, session, make_user,
                                                                     starttls):
    app.config["SMTP_STARTTLS"] = False        # the login would go in clear: refused
    notice = notice_to(session, make_user)
    assert starttls.messages == []
    assert notice.email_status == "pending" and notice.email_attempts == 1
    assert notice.email_error


def test_an_untrusted_certificate_is_refused(app, session, make_user, implicit_tls):
    app.config["SMTP_CA_FILE"] = None          # the system's CAs do not know the test CA
    notice = notice_to(session, make_user)
    assert implicit_tls.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in notice.email_error
    failure = session.query(AuditLog).filter_by(action="notice.email_failed").one()
    assert failure.detail["attempt"] == 1


def test_a_certificate_for_another_host_is_refused(app, session, make_user, ca, ca_file):
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.elsewhere.test").configure_cert(context)
    collector = Collector()
    controller = start(collector, ssl_context=context)
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SSL=True,
                          SMTP_CA_FILE=ca_file)
        notice = notice_to(session, make_user)
    finally:
        controller.stop()
    assert collector.messages == [] and "127.0.0.1" in notice.email_error


def test_the_timeout_bounds_a_server_that_never_answers(app, session, make_user):
    with socket.socket() as silent:            # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=silent.getsockname()[1],
                          SMTP_TIMEOUT=0.3)
        notice = notice_to(session, make_user)
    assert notice.email_status == "pending"
    assert "timed out" in notice.email_error.lower()


def test_settings_from_the_environment():
    env = {"SMTP_HOST": "mail.kpu.go.id", "SMTP_PORT": "465", "SMTP_SSL": "1",
           "SMTP_TIMEOUT": "2.5", "MAIL_FROM": "bakohumas@kpu.go.id",
           "MAIL_FROM_NAME": "Penilaian Bakohumas KPU", "SMTP_CA_FILE": "/etc/ssl/ca.pem"}
    settings = mail.settings_from(from_environment(env))
    assert settings == mail.MailSettings(
        host="mail.kpu.go.id", port=465, implicit_tls=True, starttls=False, timeout=2.5,
        sender="bakohumas@kpu.go.id", sender_name="Penilaian Bakohumas KPU",
        ca_file="/etc/ssl/ca.pem")
    assert settings.security == "implicit TLS"
    # implicit TLS without a port: 465
    assert mail.settings_from({"SMTP_HOST": "h", "SMTP_SSL": True}).port == 465


@pytest.mark.parametrize("variable, value, words", [
    ("SMTP_TIMEOUT", "0", "seconds"), ("SMTP_TIMEOUT", "sepuluh", "seconds"),
    ("SMTP_SSL", "ya", "1 or 0"),
    ("MAIL_FROM", "Biro Humas <humas@kpu.go.id>", "MAIL_FROM_NAME"),
])
def test_bad_settings_name_the_variable(variable, value, words):
    with pytest.raises(ConfigError, match=variable) as caught:
        from_environment({variable: value})
    assert words in str(caught.value)


def test_starttls_and_implicit_tls_together_are_refused():
    config = {"SECRET_KEY": "s" * 32, **from_environment({"SMTP_SSL": "1", "SMTP_STARTTLS": "1"})}
    with pytest.raises(ConfigError, match="choose one"):
        finish(config, relaxed=False)


def test_a_display_name_cannot_inject_headers():
    settings = mail.MailSettings(host="h", sender="noreply@kpu.test",
                                 sender_name="Humas\r\nBcc: victim@example.com")
    msg = mail.build_message(settings, "a@kpu.test", "Judul", "Isi")
    assert msg["Bcc"] is None
    assert msg["From"].addresses[0] == Address("Humas Bcc: victim@example.com",
                                               "noreply", "kpu.test")
