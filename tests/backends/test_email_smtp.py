"""The SMTP-sent email backends through the whole pipeline, against a real
SMTP server (aiosmtpd on 127.0.0.1)."""

import pytest

from django_vox.backends._email import EmailBackend, smtp_error
from django_vox.exceptions import InvalidAddress, PermanentSendError, TransientSendError
from django_vox.messages import Message, MessageAttachment
from django_vox.models import Delivery, FailedMessage
from tests.backends.email_helpers import make_article, parts, vox_email  # noqa: F401
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("vox_email")
def test_html_email_is_multipart_alternative_with_attachments(smtp_server, make_template,
                                                               committed):
    article = make_article("Spring & Summer", subscribers=1)
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="New: {{ object.title }}",
                  content="<p>Dear {{ recipient.name }}, read <b>{{ object.title }}</b>.</p>",
                  attachments=["object.summary", "object.cover"])
    with committed():
        ArticleRegistration.published.issue(article)

    [message] = smtp_server.messages
    assert message["Subject"] == "New: Spring & Summer"  # subject not HTML-escaped
    assert message["To"] == "s0@example.org"
    assert message["From"] == "News <news@example.org>"
    assert smtp_server.envelopes[0].mail_from == "news@example.org"
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("related", "html", "plain"))
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    found = parts(message)
    assert found["text/html"].strip() == (
        "<p>Dear Subscriber 0, read <b>Spring &amp; Summer</b>.</p>")
    assert "Dear Subscriber 0, read **Spring & Summer**." in found["text/plain"]
    assert body.get_content_type() == "text/html"
    attachments = {a.get_filename(): a for a in message.iter_attachments()}
    assert set(attachments) == {"summary.txt", "cover"}
    assert attachments["summary.txt"].get_content_type() == "text/plain"
    assert attachments["summary.txt"].get_content().rstrip() == "Summary of Spring & Summer"
    cover = attachments["cover"]
    assert cover.get_content_type() == "text/x-card"
    assert cover.get_content().strip() == "BEGIN:CARD Spring & Summer END:CARD"
    assert Delivery.objects.get().status == Delivery.SENT


@pytest.mark.usefixtures("vox_email")
def test_one_smtp_connection_per_issue_for_many_recipients(smtp_server, make_template,
                                                           committed):
    article = make_article(subscribers=12)
    make_template(Article, "published", backend="email-html", recipients="c:subs,c:author",
                  subject="Hi", content="<p>Hi {{ recipient }}</p>")
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="Digest", content="<p>All of you</p>", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)

    assert smtp_server.connections == 1
    individual = [m for m in smtp_server.messages if m["Subject"] == "Hi"]
    bulk = [m for m in smtp_server.messages if m["Subject"] == "Digest"]
    assert len(individual) == 13  # one per recipient
    assert sorted(m["To"] for m in individual) == sorted(
        ["author@example.org"] + [f"s{i}@example.org" for i in range(12)])
    assert len(bulk) == 1  # one message to all
    bulk_envelope = next(e for e, m in zip(smtp_server.envelopes, smtp_server.messages)
                         if m["Subject"] == "Digest")
    assert sorted(bulk_envelope.rcpt_tos) == sorted(f"s{i}@example.org" for i in range(12))
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 14


@pytest.mark.usefixtures("vox_email")
def test_every_email_backend_shares_the_connection_rule(smtp_server, make_template,
                                                        committed):
    article = make_article(subscribers=4)
    make_template(Article, "published", backend="email-md", recipients="c:subs",
                  subject="Md", content="Hi *{{ recipient.name }}*")
    make_template(Article, "published", backend="email", recipients="c:subs",
                  content="{% block subject %}Blocks{% endblock %}{% block text_body %}t{% endblock %}")
    with committed():
        ArticleRegistration.published.issue(article)
    # One connection per backend used by the issue.
    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 8


@pytest.mark.usefixtures("vox_email")
def test_hostile_subjects_names_and_non_ascii(smtp_server, make_template, committed):
    article = make_article("Bad\r\nBcc: victim@example.net", subscribers=0)
    Subscriber.objects.create(name="Zoë\r\nX-Injected: yes <script>alert(1)</script>",
                              email="zoe@example.org")
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="Ünïcode {{ object.title }} for {{ recipient.name }}",
                  from_address="{{ recipient.name }} <desk@example.org>",
                  content="<p>Hello {{ recipient.name }}</p>")
    with committed():
        ArticleRegistration.published.issue(article)

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["zoe@example.org"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    # (Django 5.2 folds right after "Subject:", which parses as a leading space.)
    assert message["Subject"].strip() == (
        "Ünïcode Bad Bcc: victim@example.net for Zoë X-Injected: yes <script>alert(1)</script>")
    head = smtp_server.envelopes[0].content.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nX-Injected:" not in head
    assert head.isascii()  # non-ASCII headers travel encoded
    assert message["From"].addresses[0].addr_spec == "desk@example.org"
    assert message["From"].addresses[0].display_name.startswith("Zoë X-Injected: yes")
    html = parts(message)["text/html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.usefixtures("vox_email")
def test_invalid_address_is_recorded_and_others_still_sent(smtp_server, make_template,
                                                           committed):
    from django_vox.models import SiteContact

    article = make_article(subscribers=1)
    SiteContact.objects.create(name="bad", protocol="email", address="ops@example.org\r\nBcc: x@y.z")
    SiteContact.objects.create(name="worse", protocol="email", address="not an address")
    make_template(Article, "published", backend="email-html", recipients="c:subs,si",
                  subject="S", content="<p>x</p>")
    with committed():
        ArticleRegistration.published.issue(article)

    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["s0@example.org"]]
    failed = {d.to_addresses[0]: d.error for d in FailedMessage.objects.all()}
    assert "line breaks are not allowed" in failed["ops@example.org\r\nBcc: x@y.z"]
    assert "not an email address" in failed["not an address"]


@pytest.mark.usefixtures("vox_email")
def test_unreachable_server_is_recorded_and_resend_delivers_once(smtp_server,
                                                                 make_template, committed):
    article = make_article(subscribers=3)
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="S", content="<p>Hello {{ recipient.name }}</p>")
    smtp_server.stop()
    with committed():
        ArticleRegistration.published.issue(article)

    failed = list(FailedMessage.objects.order_by("pk"))
    assert len(failed) == 3
    assert all("Connecting to the mail server" in d.error and "ConnectionRefusedError" in d.error
               for d in failed)
    assert all(d.attempts == 1 for d in failed)

    smtp_server.start()
    assert failed[0].resend() is True
    assert Delivery.objects.get(pk=failed[0].pk).status == Delivery.SENT
    from django_vox.issuing import send_deliveries

    results = send_deliveries(list(Delivery.objects.order_by("pk")))  # the sent one is skipped
    assert all(results.values())
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "s0@example.org", "s1@example.org", "s2@example.org"]
    assert FailedMessage.objects.count() == 0
    # Resending a delivery that was sent meanwhile sends nothing.
    assert Delivery.objects.get(pk=failed[1].pk).resend() is True
    assert len(smtp_server.messages) == 3
    # The resent messages are the ones rendered at issue time.
    assert {m["Subject"] for m in smtp_server.messages} == {"S"}
    assert parts(smtp_server.messages[0])["text/html"].startswith("<p>Hello Subscriber")


@pytest.mark.parametrize(("response", "error_class", "code"), [
    ("451 4.3.0 Try again later", TransientSendError, 451),
    ("554 5.7.1 Rejected as spam", PermanentSendError, 554),
])
def test_smtp_answers_map_to_transient_or_permanent(smtp_settings, smtp_server, response,
                                                    error_class, code):
    smtp_server.data_response = response
    message = Message(subject="S", text="T", from_address="a@example.org")
    with EmailBackend() as backend, pytest.raises(error_class) as info:
        backend.send("b@example.org", message)
    assert info.value.code == code
    assert response.split(" ", 1)[1] in str(info.value)


def test_refused_recipient_is_permanent_with_server_text(smtp_settings, smtp_server):
    smtp_server.rcpt_responses["gone@example.org"] = "550 5.1.1 No such user"
    with EmailBackend() as backend, pytest.raises(PermanentSendError) as info:
        backend.send("gone@example.org", Message(subject="S", text="T"))
    assert info.value.code == 550 and "No such user" in str(info.value)
    assert "gone@example.org" in str(info.value)


def test_connection_lost_mid_issue_reconnects_for_the_next_message(smtp_settings, smtp_server):
    backend = EmailBackend()
    backend.open()
    backend.send("a@example.org", Message(subject="1", text="T"))
    smtp_server.stop()
    with pytest.raises(TransientSendError):
        backend.send("b@example.org", Message(subject="2", text="T"))
    smtp_server.start()
    backend.send("c@example.org", Message(subject="3", text="T"))
    backend.close()
    assert [m["Subject"] for m in smtp_server.messages] == ["1", "3"]
    assert smtp_server.connections == 2


def test_send_outside_open_uses_a_connection_of_its_own(smtp_settings, smtp_server):
    backend = EmailBackend()
    backend.send("a@example.org", Message(subject="S", text="T"))
    assert backend.connection is None and smtp_server.connections == 1


def test_attachment_filenames_are_sanitised_and_non_ascii_kept(smtp_settings, smtp_server):
    message = Message(subject="S", text="T", headers={"X-Vox-Issue": "42\r\nBcc: x@y.z"},
                      attachments=[MessageAttachment("../../etc/pässwd.pdf", b"%PDF-1.4 \x00\xff",
                                                     "application/pdf")])
    with EmailBackend() as backend:
        backend.send("a@example.org", message)
    [received] = smtp_server.messages
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == ".._.._etc_pässwd.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 \x00\xff"
    assert received["X-Vox-Issue"] == "42 Bcc: x@y.z" and received["Bcc"] is None


def test_bad_header_name_is_refused():
    message = Message(subject="S", text="T", headers={"Bad: name": "x"})
    with pytest.raises(PermanentSendError, match="Invalid email header name"):
        EmailBackend().make_email("a@example.org", ["b@example.org"], message)


def test_invalid_address_is_refused_before_connecting():
    with pytest.raises(InvalidAddress):
        EmailBackend().send("nobody", Message())


def test_socket_errors_map_to_transient():
    assert smtp_error(ConnectionResetError("reset"), "x").transient
    assert smtp_error(TimeoutError(), "x").transient
    assert isinstance(smtp_error(TimeoutError(), "x"), TransientSendError)
