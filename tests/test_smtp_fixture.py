"""The SMTP test server fixture itself: what other tests rely on."""

import smtplib

import pytest
from django.core import mail


def _send(server, to=("a@example.org",), subject="Hi"):
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.sendmail("from@example.org", list(to),
                        f"Subject: {subject}\r\nFrom: from@example.org\r\n\r\nBody\r\n")


def test_records_parsed_messages_envelopes_and_connections(smtp_server):
    _send(smtp_server, to=("a@example.org", "b@example.org"))
    _send(smtp_server)
    assert smtp_server.connections == 2
    assert [m["Subject"] for m in smtp_server.messages] == ["Hi", "Hi"]
    assert smtp_server.envelopes[0].mail_from == "from@example.org"
    assert smtp_server.envelopes[0].rcpt_tos == ["a@example.org", "b@example.org"]
    smtp_server.reset()
    assert (smtp_server.messages, smtp_server.envelopes, smtp_server.connections) == ([], [], 0)


def test_stop_refuses_and_start_listens_on_the_same_port(smtp_server):
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        _send(smtp_server)
    smtp_server.start()
    assert smtp_server.port == port
    _send(smtp_server)
    assert len(smtp_server.messages) == 1


def test_configured_error_responses(smtp_server):
    smtp_server.rcpt_responses["nobody@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(smtp_server, to=("nobody@example.org",))
    smtp_server.data_response = "451 4.3.0 Try again later"
    with pytest.raises(smtplib.SMTPDataError) as info:
        _send(smtp_server)
    assert info.value.smtp_code == 451
    assert smtp_server.messages == []


def test_smtp_settings_route_django_mail_to_the_server(smtp_settings, smtp_server):
    mail.send_mail("Subject", "Body", "from@example.org", ["to@example.org"])
    assert smtp_server.messages[0]["To"] == "to@example.org"
    assert smtp_server.connections == 1
