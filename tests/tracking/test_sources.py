"""Each source of provider events drives real deliveries' states: the Postmark
template backend and its webhooks, the Twilio backend and its signed status
callbacks, and django-anymail (Postmark through its API, Mailgun over real
SMTP) through anymail's own webhook views.

The providers' APIs are pytest-httpserver (the exact request asserted), the
SMTP server is aiosmtpd; the webhook payloads follow the providers'
documented formats.
"""

import importlib.util
import json
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from django_vox.models import Delivery, DeliveryEvent, Suppression
from django_vox.tracking import signals
from tests.fixtures.smtp import configure_mail
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration
from tests.tracking import helpers
from tests.tracking.helpers import (
    ANYMAIL_SECRET,
    MAILGUN_KEY,
    PUBLIC,
    TWILIO_SID,
    TWILIO_TOKEN,
    mailgun_payload,
    post_anymail,
    post_postmark,
    post_twilio,
)

pytestmark = pytest.mark.django_db

POSTMARK_TOKEN = "server-token-tracking"


def _article(count=3, phones=False):
    from django.contrib.auth import get_user_model

    author = get_user_model().objects.create(username="author", email="author@example.org")
    for i in range(count):
        Subscriber.objects.create(name=f"Reader {i}", email=f"r{i}@example.org",
                                  phone=f"+1202555010{i}" if phones else "")
    return Article.objects.create(author=author, title="Tracked")


def _by_address():
    return {row.to_addresses[0]: row for row in Delivery.objects.all()}


# -- Postmark: the template backend and its webhooks ---------------------------------


@pytest.fixture
def postmark(settings, httpserver):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.postmark_email.Backend"]
    settings.DJANGO_VOX_POSTMARK_TOKEN = POSTMARK_TOKEN
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = httpserver.url_for("/pm")
    settings.DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS = helpers.POSTMARK_CREDENTIALS
    settings.DEFAULT_FROM_EMAIL = "news@example.org"
    return httpserver


def _postmark_batch(request):
    """Postmark's batch answer: one accepted result (with its MessageID) per message."""
    return Response(json.dumps([
        {"ErrorCode": 0, "Message": "OK", "To": m["To"], "SubmittedAt": "2026-12-07T10:00:00Z",
         "MessageID": f"pm-{m['To'].split('@')[0]}"} for m in json.loads(request.get_data())[
            "Messages"]]), content_type="application/json")


def _bounce(message_id, email, kind="HardBounce", record="Bounce", bounce_id=4001):
    return {"RecordType": record, "ID": bounce_id, "Type": kind, "TypeCode": 1,
            "Name": "Hard bounce", "Tag": "", "MessageID": message_id, "ServerID": 23,
            "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account does not exist.", "Email": email,
            "From": "news@example.org", "BouncedAt": "2026-12-07T10:05:00Z",
            "DumpAvailable": False, "Inactive": True, "CanActivate": True, "Subject": "news"}


def test_postmark_webhooks_drive_the_log_and_suppress(postmark, client, make_template,
                                                      committed):
    article = _article()
    postmark.expect_oneshot_request(
        "/pm/email/batchWithTemplates", method="POST",
        headers={"X-Postmark-Server-Token": POSTMARK_TOKEN}).respond_with_handler(
        _postmark_batch)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="news", content="name: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    [(request, _response)] = postmark.log
    assert sorted(m["To"] for m in json.loads(request.get_data())["Messages"]) == [
        "r0@example.org", "r1@example.org", "r2@example.org"]
    rows = _by_address()
    assert {a: r.provider_message_id for a, r in rows.items()} == {
        "r0@example.org": "pm-r0", "r1@example.org": "pm-r1", "r2@example.org": "pm-r2"}

    bounced = []
    signals.message_bounced.connect(lambda sender, **kw: bounced.append(kw), weak=False,
                                    dispatch_uid="test-bounced")
    try:
        answers = [
            post_postmark(client, {"RecordType": "Delivery", "ServerID": 23,
                                   "MessageStream": "outbound", "MessageID": "pm-r0",
                                   "Recipient": "r0@example.org", "Tag": "",
                                   "DeliveredAt": "2026-12-07T10:01:00Z",
                                   "Details": "Test delivery webhook details", "Metadata": {}}),
            post_postmark(client, {"RecordType": "Open", "MessageStream": "outbound",
                                   "FirstOpen": True, "Platform": "WebMail",
                                   "UserAgent": "Mozilla/5.0", "MessageID": "pm-r0",
                                   "ReceivedAt": "2026-12-07T10:02:00Z", "Tag": "",
                                   "Recipient": "r0@example.org"}),
            post_postmark(client, {"RecordType": "Click", "ClickLocation": "HTML",
                                   "OriginalLink": "https://example.org/read",
                                   "MessageID": "pm-r0", "ReceivedAt": "2026-12-07T10:03:00Z",
                                   "Tag": "", "Recipient": "r0@example.org"}),
            post_postmark(client, _bounce("pm-r1", "r1@example.org")),
            post_postmark(client, _bounce("pm-r2", "r2@example.org", kind="SpamComplaint",
                                          record="SpamComplaint", bounce_id=4002)),
        ]
    finally:
        signals.message_bounced.disconnect(dispatch_uid="test-bounced")
    assert [(a.status_code, a.content) for a in answers] == [(200, b"ok\n")] * 5
    rows = _by_address()
    assert {a: r.provider_status for a, r in rows.items()} == {
        "r0@example.org": "delivered", "r1@example.org": "bounced",
        "r2@example.org": "complained"}
    assert list(rows["r0@example.org"].events.order_by("occurred_at").values_list(
        "kind", flat=True)) == ["delivered", "opened", "clicked"]
    assert [kw["delivery"].pk for kw in bounced] == [rows["r1@example.org"].pk]
    assert sorted(Suppression.objects.values_list("protocol", "address", "reason")) == [
        ("email", "r1@example.org", "bounced"), ("email", "r2@example.org", "complained")]
    assert Suppression.objects.get(address="r1@example.org").event.delivery_id == \
        rows["r1@example.org"].pk

    # The next issue writes only to r0; r1 and r2 are logged suppressed, with why.
    postmark.expect_oneshot_request("/pm/email/withTemplate", method="POST").respond_with_json(
        {"ErrorCode": 0, "Message": "OK", "MessageID": "pm-again", "To": "r0@example.org"})
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    assert json.loads(postmark.log[-1][0].get_data())["To"] == "r0@example.org"
    latest = Delivery.objects.filter(created_at__gt=rows["r0@example.org"].created_at)
    assert sorted((r.to_addresses[0], r.status) for r in latest) == [
        ("r0@example.org", "sent"), ("r1@example.org", "suppressed"),
        ("r2@example.org", "suppressed")]
    assert "on the suppression list (hard bounce" in latest.get(
        to_addresses=["r1@example.org"]).error


def test_postmark_subscription_change_suppresses_and_resubscribing_lifts(postmark, client):
    delivery = Delivery.objects.create(backend="postmark-template", protocol="email",
                                       to_addresses=["ada@example.org"], status="sent",
                                       provider_message_id="pm-ada")
    change = {"RecordType": "SubscriptionChange", "MessageID": "pm-ada", "ServerID": 23,
              "MessageStream": "outbound", "ChangedAt": "2026-12-07T11:00:00Z",
              "Recipient": "Ada@Example.org", "Origin": "Recipient", "SuppressSending": True,
              "SuppressionReason": "ManualSuppression", "Tag": "", "Metadata": {}}
    assert post_postmark(client, change).status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.lifted_at) == (
        "ada@example.org", "unsubscribed", None)
    again = dict(change, SuppressSending=False, ChangedAt="2026-12-07T12:00:00Z")
    assert post_postmark(client, again).status_code == 200
    suppression.refresh_from_db()
    assert suppression.lifted_at is not None and "Subscribed again" in suppression.lift_note
    assert list(delivery.events.values_list("kind", flat=True).order_by("occurred_at")) == [
        "unsubscribed", "subscribed"]


@pytest.mark.parametrize("credentials", [None, "postmark-hooks:wrong-password-xxxxxxx",
                                         "someone:Dz7-long-enough-password"])
def test_postmark_webhook_refuses_without_the_credentials(postmark, client, credentials):
    response = post_postmark(client, _bounce("pm-x", "x@example.org"), credentials=credentials)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="django-vox"'
    assert not DeliveryEvent.objects.exists() and not Suppression.objects.exists()


def test_postmark_webhook_is_closed_until_credentials_are_set(postmark, client, settings):
    settings.DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS = None
    response = post_postmark(client, _bounce("pm-x", "x@example.org"))
    assert response.status_code == 403 and not DeliveryEvent.objects.exists()


# -- Twilio: status callbacks signed with X-Twilio-Signature --------------------------

MESSAGES = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"


@pytest.fixture
def twilio(settings, httpserver):
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twilio.Backend"]
    settings.DJANGO_VOX_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.DJANGO_VOX_TWILIO_FROM_NUMBER = "+14155238886"
    settings.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/")
    settings.DJANGO_VOX_WEBHOOK_BASE_URL = PUBLIC
    return httpserver


def _form(request):
    return {key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()}


def _created(request):
    to = _form(request)["To"]
    return Response(json.dumps({"sid": f"SM{to[-4:]}", "status": "queued", "to": to,
                                "from": "+14155238886", "account_sid": TWILIO_SID}),
                    status=201, content_type="application/json")


def _callback(sid, to, status, code=""):
    params = {"AccountSid": TWILIO_SID, "MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
              "SmsStatus": status, "To": to, "From": "+14155238886", "ApiVersion": "2010-04-01"}
    if code:
        params["ErrorCode"] = code
    return params


def test_twilio_callbacks_drive_the_log_and_stop_suppresses(twilio, client, make_template,
                                                           committed):
    article = _article(count=2, phones=True)
    twilio.expect_request(MESSAGES, method="POST").respond_with_handler(_created)
    make_template(Article, "published", backend="twilio", recipients="c:subs",
                  content="{{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sorted(_form(request)["To"] for request, _r in twilio.log) == [
        "+12025550100", "+12025550101"]
    assert _form(twilio.log[0][0]) == {
        "To": _form(twilio.log[0][0])["To"], "From": "+14155238886", "Body": "Tracked",
        "StatusCallback": "https://vox.example.org/vox/tracking/twilio/"}
    rows = _by_address()
    assert rows["+12025550100"].provider_message_id == "SM0100"

    answers = [post_twilio(client, _callback("SM0100", "+12025550100", "sent")),
               post_twilio(client, _callback("SM0100", "+12025550100", "delivered")),
               post_twilio(client, _callback("SM0101", "+12025550101", "undelivered", "21610"))]
    assert [a.status_code for a in answers] == [200, 200, 200]
    rows = _by_address()
    assert rows["+12025550100"].provider_status == "delivered"
    assert rows["+12025550101"].provider_status == "failed"
    event = rows["+12025550101"].events.get()
    assert event.description == "Twilio status undelivered, error 21610 (the recipient replied STOP)"
    stop = Suppression.objects.get()
    assert (stop.protocol, stop.address, stop.reason, stop.event_id) == (
        "sms", "+12025550101", "stopped", event.pk)

    twilio.clear_log()
    with committed():
        ArticleRegistration.published.issue(article)
    assert [_form(request)["To"] for request, _r in twilio.log] == ["+12025550100"]


def test_twilio_callback_refuses_forged_and_unsigned_requests(twilio, client):
    params = _callback("SM1", "+12025550100", "delivered")
    forged = helpers.twilio_signature(params, token="not-the-auth-token")
    other_url = helpers.twilio_signature(params, url="https://evil.example/vox/tracking/twilio/")
    tampered = helpers.twilio_signature(params)
    answers = [post_twilio(client, params, signature=forged),
               post_twilio(client, params, signature=""),
               post_twilio(client, params, signature=other_url),
               post_twilio(client, dict(params, MessageStatus="failed"), signature=tampered)]
    assert [(a.status_code, a.content) for a in answers] == [
        (403, b"The request is not signed by Twilio.\n")] * 4
    assert not DeliveryEvent.objects.exists()


def test_twilio_callback_is_closed_without_a_public_base_url(twilio, client, settings):
    settings.DJANGO_VOX_WEBHOOK_BASE_URL = None
    params = _callback("SM1", "+12025550100", "delivered")
    assert post_twilio(client, params).status_code == 403
    assert not DeliveryEvent.objects.exists()


# -- django-anymail: its own webhook views, its tracking signal -----------------------

needs_anymail = pytest.mark.skipif(importlib.util.find_spec("anymail") is None,
                                   reason="django-anymail (the anymail extra) is not installed")


@pytest.fixture
def anymail_hooks(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
                        "POSTMARK_SERVER_TOKEN": POSTMARK_TOKEN}
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.html_email.Backend"]
    settings.DEFAULT_FROM_EMAIL = "news@example.org"
    return settings


@needs_anymail
def test_anymail_postmark_backend_id_and_webhooks(anymail_hooks, settings, httpserver, client,
                                                  make_template, committed):
    """anymail as the email backend: the id is anymail_status.message_id
    (Postmark's MessageID), and Postmark's webhooks posted to anymail's view
    reach the delivery through anymail's tracking signal."""
    settings.ANYMAIL = dict(settings.ANYMAIL, POSTMARK_API_URL=httpserver.url_for("/api/"))
    configure_mail(settings, "anymail.backends.postmark.EmailBackend")
    article = _article(count=1)
    httpserver.expect_oneshot_request(
        "/api/email", method="POST",
        headers={"X-Postmark-Server-Token": POSTMARK_TOKEN}).respond_with_json(
        {"To": "r0@example.org", "SubmittedAt": "2026-12-07T10:00:00Z",
         "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d", "ErrorCode": 0, "Message": "OK"})
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="Hi", content="<p>{{ object.title }}</p>")
    with committed():
        ArticleRegistration.published.issue(article)
    httpserver.check_assertions()
    sent = json.loads(httpserver.log[0][0].get_data())
    assert (sent["To"], sent["From"], sent["Subject"]) == ("r0@example.org", "news@example.org",
                                                           "Hi")
    delivery = Delivery.objects.get()
    assert delivery.provider_message_id == "0a129aee-e1cd-480d-b08d-4f48548ff48d"

    delivered = {"RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound",
                 "MessageID": delivery.provider_message_id, "Recipient": "r0@example.org",
                 "Tag": "", "DeliveredAt": "2026-12-07T10:01:00Z", "Details": "250 OK",
                 "Metadata": {}}
    assert post_anymail(client, "postmark", delivered).status_code == 200
    soft = _bounce(delivery.provider_message_id, "r0@example.org", kind="SoftBounce")
    assert post_anymail(client, "postmark", soft).status_code == 200
    delivery.refresh_from_db()
    assert delivery.provider_status == "delivered"  # a later soft bounce does not undo it
    assert sorted(delivery.events.values_list("provider", "kind")) == [
        ("anymail:postmark", "delivered"), ("anymail:postmark", "soft_bounced")]
    assert not Suppression.objects.exists()  # one soft bounce of three


@needs_anymail
def test_anymail_mailgun_events_over_real_smtp(anymail_hooks, smtp_server, smtp_settings,
                                               client, make_template, committed):
    """SMTP to a relay (aiosmtpd standing in for Mailgun's): the Message-ID
    django-vox set is recorded, and Mailgun's signed webhooks name it."""
    article = _article(count=2)
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="Hi", content="<p>{{ object.title }}</p>")
    with committed():
        ArticleRegistration.published.issue(article)
    received = {m["To"]: m["Message-ID"].strip("<>") for m in smtp_server.messages}
    rows = _by_address()
    assert {a: r.provider_message_id for a, r in rows.items()} == received
    assert all(mid.endswith(">") is False and "@" in mid for mid in received.values())

    def event(address, kind, **fields):
        return {"event": kind, "id": f"ev-{address}-{kind}", "timestamp": 1767225600.5,
                "recipient": address,
                "message": {"headers": {"message-id": received[address], "to": address,
                                        "from": "news@example.org", "subject": "Hi"}},
                **fields}

    failed = mailgun_payload(event("r0@example.org", "failed", severity="permanent",
                                   reason="bounce", **{"delivery-status": {
                                       "code": 550, "message": "5.1.1 No such user",
                                       "description": "Not delivered"}}), token="t" * 50)
    complained = mailgun_payload(event("r1@example.org", "complained"), token="u" * 50)
    assert post_anymail(client, "mailgun", failed).status_code == 200
    assert post_anymail(client, "mailgun", complained).status_code == 200
    rows = _by_address()
    assert (rows["r0@example.org"].provider_status, rows["r1@example.org"].provider_status) == (
        "bounced", "complained")
    assert sorted(Suppression.objects.values_list("address", "reason")) == [
        ("r0@example.org", "bounced"), ("r1@example.org", "complained")]

    # A wrongly signed Mailgun request is refused by anymail: nothing recorded.
    forged = mailgun_payload(event("r0@example.org", "delivered"), key="not-the-key")
    assert post_anymail(client, "mailgun", forged).status_code == 400
    assert DeliveryEvent.objects.count() == 2
