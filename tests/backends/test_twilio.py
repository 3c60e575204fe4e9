import base64
import logging
import time
from email.utils import formatdate
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_vox.backends.twilio import Backend
from django_vox.exceptions import InvalidAddress, PermanentSendError, TransientSendError
from django_vox.messages import Message
from django_vox.models import Delivery
from tests.backends.helpers import settle, slow_handler
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "s3cret-auth-token"
PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
CREATED = {"sid": "SM1", "status": "queued", "to": "+12025550123", "from": "+14155238886",
           "body": "x", "account_sid": SID}


@pytest.fixture
def twilio(httpserver, settings):
    settings.DJANGO_VOX_TWILIO_ACCOUNT_SID = SID
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = TOKEN
    settings.DJANGO_VOX_TWILIO_FROM_NUMBER = "+14155238886"
    settings.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/")
    return httpserver


def form(request):
    return {key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()}


def test_one_messages_call_per_address(twilio):
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    twilio.expect_request(PATH, method="POST", headers={"Authorization": auth}) \
        .respond_with_json(CREATED, status=201)
    with Backend() as backend:
        backend.send_message("", ["+12025550123", "+442079460018"], Message(text="Hi there"))
    assert [form(req) for req, _resp in twilio.log] == [
        {"To": "+12025550123", "From": "+14155238886", "Body": "Hi there"},
        {"To": "+442079460018", "From": "+14155238886", "Body": "Hi there"},
    ]
    request = twilio.log[0][0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == auth


def test_template_from_address_wins(twilio):
    twilio.expect_request(PATH, method="POST").respond_with_json(CREATED, status=201)
    Backend().send_message("+16175551212", ["+12025550123"], Message(text="x"))
    assert form(twilio.log[0][0])["From"] == "+16175551212"


# "+15551230001" (a possible number in a range never allocated) is accepted
# since issue 18: see test_address_validation.py.
@pytest.mark.parametrize("address", ["5551230001", "+1 202 555 0123", "+1-202-555-0123",
                                     "+1555", "+999123456789", "tel:+12025550123", "",
                                     "+1555abc0001", "+12025550123\n"])
def test_non_e164_rejected_before_any_request(twilio, address):
    with pytest.raises(InvalidAddress, match="Invalid address"):
        Backend().send(address, Message(text="x"))
    assert twilio.log == []


def test_twilio_error_code_and_message_are_kept(twilio):
    twilio.expect_request(PATH).respond_with_json(
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
         "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}, status=400)
    with pytest.raises(PermanentSendError) as info:
        Backend().send("+12025550123", Message(text="x"))
    err = info.value
    assert not err.transient
    assert (err.status, err.code) == (400, 21610)
    assert "Attempt to send to unsubscribed recipient" in str(err)
    assert TOKEN not in str(err) and SID not in str(err)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_transient(twilio, status):
    twilio.expect_request(PATH).respond_with_json(
        {"code": 20429, "message": "Too Many Requests", "status": status}, status=status)
    with pytest.raises(TransientSendError) as info:
        Backend().send("+12025550123", Message(text="x"))
    assert info.value.status == status


@pytest.mark.parametrize("status, error_class", [(429, TransientSendError),
                                                 (503, TransientSendError),
                                                 (400, PermanentSendError)])
def test_problem_details_answers_are_classified_by_status(twilio, status, error_class):
    # Newer Twilio APIs answer in RFC 9457's form; twilio 9 raises another exception for it.
    twilio.expect_request(PATH).respond_with_json(
        {"type": "https://www.twilio.com/docs/api/errors/20429", "title": "Too Many Requests",
         "status": status, "code": 20429, "detail": "Slow down, please",
         "instance": f"/2010-04-01/Accounts/{SID}/Messages"}, status=status,
        headers={"Retry-After": "4"})
    with pytest.raises(error_class) as info:
        Backend().send("+12025550123", Message(text="x"))
    err = info.value
    assert (err.status, err.code) == (status, 20429)
    assert "Twilio refused the SMS to +12025550123: Slow down, please" in str(err)
    assert "\033[" not in str(err) and SID not in str(err) and SID not in (err.body or "")
    assert err.retry_after == (4.0 if status != 400 else None)


@pytest.mark.parametrize("status, retry_after, seconds", [
    (429, "7", 7.0), (503, "7", 7.0), (429, None, None), (500, "7", None),
])
def test_retry_after_reaches_the_send_error(twilio, status, retry_after, seconds):
    headers = {"Retry-After": retry_after} if retry_after else {}
    twilio.expect_request(PATH).respond_with_json(
        {"code": 20429, "message": "Too Many Requests", "status": status}, status=status,
        headers=headers)
    with pytest.raises(TransientSendError) as info:
        Backend().send("+12025550123", Message(text="x"))
    assert (info.value.status, info.value.code) == (status, 20429)
    assert info.value.retry_after == seconds


def test_retry_after_as_an_http_date_and_only_for_its_own_answer(twilio):
    twilio.expect_ordered_request(PATH).respond_with_json(
        {"code": 20429, "message": "Too Many Requests"}, status=429,
        headers={"Retry-After": formatdate(time.time() + 90, usegmt=True)})
    twilio.expect_ordered_request(PATH).respond_with_json(
        {"code": 20500, "message": "Internal Server Error"}, status=500)
    with Backend() as backend:
        with pytest.raises(TransientSendError) as info:
            backend.send("+12025550123", Message(text="x"))
        assert 85 <= info.value.retry_after <= 90
        with pytest.raises(TransientSendError) as info:
            backend.send("+12025550123", Message(text="x"))  # the next answer said nothing
        assert (info.value.status, info.value.retry_after) == (500, None)


@override_settings(DJANGO_VOX_HTTP_TIMEOUT=0.3)
def test_timeout_is_transient(twilio):
    twilio.expect_request(PATH).respond_with_handler(slow_handler(1, status=201))
    with pytest.raises(TransientSendError, match="timed out"):
        Backend().send("+12025550123", Message(text="x"))
    settle(twilio)


def test_missing_credentials_name_the_setting(twilio, settings):
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = None
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_TWILIO_AUTH_TOKEN"):
        Backend().send("+12025550123", Message(text="x"))
    assert twilio.log == []


@pytest.mark.django_db
def test_issue_through_the_pipeline_logs_without_credentials(twilio, make_template, committed,
                                                            settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twilio"]
    twilio.expect_request(PATH, method="POST").respond_with_json(CREATED, status=201)
    Subscriber.objects.create(name="Ok", email="ok@example.org", phone="+12025550123")
    Subscriber.objects.create(name="Bad", email="bad@example.org", phone="555-0100")
    from django.contrib.auth import get_user_model

    article = Article.objects.create(author=get_user_model().objects.create(username="a"),
                                     title="Storm")
    make_template(Article, "published", backend="twilio", recipients="c:subs",
                  content="Alert: {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert [form(req)["Body"] for req, _resp in twilio.log] == ["Alert: Storm"]
    sent = Delivery.objects.get(to_addresses=["+12025550123"])
    failed = Delivery.objects.get(to_addresses=["555-0100"])
    assert sent.status == Delivery.SENT and sent.from_address == "+14155238886"
    assert failed.status == Delivery.FAILED and "E.164" in failed.error
    for row in Delivery.objects.all():
        assert TOKEN not in str(row.message) + row.error + row.from_address
    assert caplog.text and TOKEN not in caplog.text
