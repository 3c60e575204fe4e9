"""The X (Twitter) backend against a local stand-in of the X API v2.

The stand-in checks what X checks: the method, path and JSON body of each
request, and its OAuth 1.0a signature, verified with oauthlib from the test
keys (a request signed with other keys gets X's 401).
"""

import json
import time
from datetime import datetime, timezone
from email.utils import formatdate

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from werkzeug import Response

from django_vox.backends.twitter import Backend, weighted_length
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    TemplateRenderError,
    TransientSendError,
)
from django_vox.messages import Message
from django_vox.registry import Contact
from tests.backends.helpers import settle, slow_handler

CONSUMER_KEY, CONSUMER_SECRET = "xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
TOKEN_KEY, TOKEN_SECRET = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", "LswwdoUaIvS8ltyTt"
SECRETS = {"DJANGO_VOX_TWITTER_CONSUMER_KEY": CONSUMER_KEY,
           "DJANGO_VOX_TWITTER_CONSUMER_SECRET": CONSUMER_SECRET,
           "DJANGO_VOX_TWITTER_TOKEN_KEY": TOKEN_KEY,
           "DJANGO_VOX_TWITTER_TOKEN_SECRET": TOKEN_SECRET}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                "detail": "Unauthorized"}
TIER_453 = {"errors": [{"code": 453, "message": (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
    "(e.g. media post, oauth) only. If you need access to this endpoint, you may need a "
    "different access level.")}]}
NOT_ENROLLED = {"title": "Client Forbidden", "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
                "detail": "When authenticating requests to the Twitter API v2 endpoints, you must "
                          "use keys and tokens from a Twitter developer App that is attached to "
                          "a Project."}
DUPLICATE = {"title": "Forbidden", "type": "about:blank", "status": 403,
             "detail": "You are not allowed to create a Tweet with duplicate content."}
JACK = {"data": {"id": "12", "name": "jack", "username": "jack"}}
SENT_DM = {"data": {"dm_conversation_id": "12-7", "dm_event_id": "1582"}}
RESET = 1893456000  # 2030-01-01 00:00:00 UTC
#: ``expect(..., body=ANY_JSON)``: any JSON body (a test reads it from the log).
ANY_JSON = object()


class _Keys(RequestValidator):
    """What the stand-in knows: the test app and the test account's token."""

    enforce_ssl = False  # a local http:// server
    dummy_client = "unknown-client"
    dummy_access_token = "unknown-token"

    def __init__(self):
        super().__init__()
        self.seen = set()

    # X's keys and nonces do not follow oauthlib's default lengths and alphabets.
    def check_client_key(self, client_key):
        return True

    def check_access_token(self, token):
        return True

    def check_nonce(self, nonce):
        return True

    def validate_client_key(self, client_key, request):
        return client_key == CONSUMER_KEY

    def get_client_secret(self, client_key, request):
        return CONSUMER_SECRET if client_key == CONSUMER_KEY else "unknown"

    def get_access_token_secret(self, client_key, token, request):
        return TOKEN_SECRET if token == TOKEN_KEY else "unknown"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request,
                                     request_token=None, access_token=None):
        fresh = abs(time.time() - int(timestamp)) < 300 and (timestamp, nonce) not in self.seen
        self.seen.add((timestamp, nonce))
        return fresh


class XStandIn:
    """X API v2 endpoints on pytest-httpserver, in the order they must be called."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.verifier = SignatureOnlyEndpoint(_Keys())
        #: (method, path, oauth_token) of every request whose signature verified
        self.signed = []

    def expect(self, method, path, *, body=None, answer=None, status=200, headers=None):
        match = {"json": body, "headers": {"Content-Type": "application/json"}} if body \
            else {"data": b""}
        if body is ANY_JSON:
            match = {"headers": {"Content-Type": "application/json"}}
        self.server.expect_ordered_request(path, method=method, **match).respond_with_handler(
            self._answer(answer if answer is not None else {}, status, headers or {}))

    def _answer(self, answer, status, headers):
        def handle(request):
            valid, oauth = self.verifier.validate_request(
                request.url, request.method, request.get_data(as_text=True),
                dict(request.headers))
            if not valid:
                return Response(json.dumps(UNAUTHORIZED), status=401,
                                content_type="application/json")
            self.signed.append((request.method, request.path, oauth.resource_owner_key))
            return Response(json.dumps(answer), status=status, headers=headers,
                            content_type="application/json")

        return handle


@pytest.fixture
def x_api(httpserver, settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.DJANGO_VOX_TWITTER_API_BASE = httpserver.url_for("/")
    return XStandIn(httpserver)


def test_empty_address_posts_on_the_account(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "Hello world"},
                 answer={"data": {"id": "1", "text": "Hello world"}}, status=201)
    with Backend() as backend:
        backend.send("", Message(text="Hello world"))
    x_api.server.check_assertions()
    assert x_api.signed == [("POST", "/2/tweets", TOKEN_KEY)]
    header = x_api.server.log[0][0].headers["Authorization"]
    assert header.startswith("OAuth ") and 'oauth_signature_method="HMAC-SHA1"' in header
    assert CONSUMER_SECRET not in header and TOKEN_SECRET not in header


def test_handle_gets_a_direct_message_and_is_looked_up_once_per_open(x_api):
    x_api.expect("GET", "/2/users/by/username/jack", answer=JACK)
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body={"text": "hi"},
                 answer=SENT_DM, status=201)
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body={"text": "again"},
                 answer=SENT_DM, status=201)
    x_api.expect("GET", "/2/users/by/username/jack", answer=JACK)
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body={"text": "next issue"},
                 answer=SENT_DM, status=201)
    with Backend() as backend:
        session = backend.http.session
        backend.send("jack", Message(text="hi"))
        backend.send("Jack", Message(text="again"))  # handles are case-insensitive
        assert backend.http.session is session
    Backend().send("jack", Message(text="next issue"))  # a new issue asks again
    x_api.server.check_assertions()
    assert [(method, path) for method, path, _token in x_api.signed] == [
        ("GET", "/2/users/by/username/jack"), ("POST", "/2/dm_conversations/with/12/messages"),
        ("POST", "/2/dm_conversations/with/12/messages"), ("GET", "/2/users/by/username/jack"),
        ("POST", "/2/dm_conversations/with/12/messages")]


def test_direct_message_to_a_handle_that_does_not_exist(x_api):
    x_api.expect("GET", "/2/users/by/username/nosuchuser123", answer={"errors": [{
        "value": "nosuchuser123", "detail": "Could not find user with username: [nosuchuser123].",
        "title": "Not Found Error", "resource_type": "user", "parameter": "username",
        "resource_id": "nosuchuser123",
        "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
    with pytest.raises(PermanentSendError) as info:
        Backend().send("nosuchuser123", Message(text="hi"))
    assert "X has no user @nosuchuser123" in str(info.value)
    assert "Could not find user with username: [nosuchuser123]." in str(info.value)
    assert [path for _method, path, _token in x_api.signed] == [
        "/2/users/by/username/nosuchuser123"]  # and no direct message


def test_credentials_x_refuses_are_named(x_api, settings):
    settings.DJANGO_VOX_TWITTER_TOKEN_SECRET = "not-the-secret"
    x_api.expect("POST", "/2/tweets", body={"text": "hi"})
    with pytest.raises(PermanentSendError) as info:
        Backend().send("", Message(text="hi"))
    assert info.value.status == 401 and x_api.signed == []  # the stand-in refused the signature
    assert "X did not accept the credentials" in str(info.value)
    assert "DJANGO_VOX_TWITTER_*" in str(info.value)
    assert "not-the-secret" not in str(info.value)


@pytest.mark.parametrize("answer", [TIER_453, NOT_ENROLLED], ids=["code-453", "v2-not-enrolled"])
def test_access_tier_without_the_endpoint_is_permanent(x_api, answer):
    x_api.expect("GET", "/2/users/by/username/jack", answer=JACK)
    x_api.expect("POST", "/2/dm_conversations/with/12/messages", body={"text": "hi"},
                 answer=answer, status=403)
    with pytest.raises(PermanentSendError) as info:
        Backend().send("jack", Message(text="hi"))
    text = str(info.value)
    assert "X direct message to @jack failed: the X API access tier of this app does not " \
           "allow this endpoint" in text
    assert "direct messages need a paid tier" in text
    assert info.value.status == 403 and not info.value.transient
    if answer is TIER_453:
        assert info.value.code == 453 and "subset of X API V2 endpoints" in text


def test_duplicate_post_is_permanent_with_x_reason(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "again"}, answer=DUPLICATE, status=403)
    with pytest.raises(PermanentSendError) as info:
        Backend().send("", Message(text="again"))
    assert "X post failed: X refuses a duplicate post: You are not allowed to create a Tweet " \
           "with duplicate content." in str(info.value)
    assert info.value.status == 403


def test_rate_limit_is_transient_until_the_reset(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429,
                 answer={"title": "Too Many Requests", "detail": "Too Many Requests",
                         "type": "about:blank", "status": 429},
                 headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                          "x-rate-limit-reset": str(RESET)})
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert "X's rate limit is used up until 2030-01-01 00:00:00 UTC" in str(info.value)
    assert info.value.retry_at == datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert info.value.status == 429


def test_rate_limit_of_24_hours_wins_when_it_is_the_one_used_up(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429, headers={
        "x-rate-limit-remaining": "99", "x-rate-limit-reset": str(RESET),
        "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": str(RESET + 86400)})
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert info.value.retry_at == datetime(2030, 1, 2, tzinfo=timezone.utc)


def test_rate_limit_without_reset_header_still_transient(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429)
    with pytest.raises(TransientSendError, match="try again later") as info:
        Backend().send("", Message(text="x"))
    assert info.value.retry_at is None


def test_rate_limit_waits_until_the_reset(x_api):
    reset = int(time.time()) + 90
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429,
                 headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
    before = time.time()
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert info.value.retry_at == datetime.fromtimestamp(reset, tz=timezone.utc)
    assert reset - time.time() <= info.value.retry_after <= reset - before


@pytest.mark.parametrize("retry_after, seconds", [
    ("7", 7.0), ("soon", None), (None, None),
])
def test_rate_limit_with_retry_after_and_no_reset(x_api, retry_after, seconds):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429,
                 headers={"Retry-After": retry_after} if retry_after else {})
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert (info.value.retry_at, info.value.retry_after) == (None, seconds)


def test_rate_limit_retry_after_as_an_http_date(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429,
                 headers={"Retry-After": formatdate(time.time() + 90, usegmt=True)})
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert 85 <= info.value.retry_after <= 90


def test_rate_limit_takes_the_later_of_reset_and_retry_after(x_api):
    reset = int(time.time()) + 5
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=429,
                 headers={"x-rate-limit-reset": str(reset), "Retry-After": "60"})
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert info.value.retry_after == 60.0
    assert info.value.retry_at == datetime.fromtimestamp(reset, tz=timezone.utc)


def test_over_capacity_503_keeps_its_retry_after(x_api):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=503,
                 answer={"title": "Service Unavailable", "detail": "Over capacity"},
                 headers={"Retry-After": "7"})
    with pytest.raises(TransientSendError, match="Over capacity") as info:
        Backend().send("", Message(text="x"))
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient_with_x_words(x_api, status):
    x_api.expect("POST", "/2/tweets", body={"text": "x"}, status=status,
                 answer={"title": "Service Unavailable", "detail": "Over capacity"})
    with pytest.raises(TransientSendError, match="X post failed: Over capacity"):
        Backend().send("", Message(text="x"))


@override_settings(DJANGO_VOX_HTTP_TIMEOUT=0.3)
def test_timeout_is_transient(x_api):
    x_api.server.expect_request("/2/tweets").respond_with_handler(slow_handler(1))
    with pytest.raises(TransientSendError, match="timed out"):
        Backend().send("", Message(text="x"))
    settle(x_api.server)


@pytest.mark.parametrize("address", ["@jack", "jack smith", "x" * 16, "jack!", "jack\n",
                                     "jäck"])
def test_bad_handles_are_refused_before_any_request(x_api, address):
    with pytest.raises(InvalidAddress):
        Backend().send(address, Message(text="hi"))
    assert x_api.server.log == []


def test_v1_1_api_base_is_a_configuration_error(x_api, settings):
    settings.DJANGO_VOX_TWITTER_API_BASE = "https://api.twitter.com/1.1"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_TWITTER_API_BASE.*/1.1"):
        Backend().send("", Message(text="x"))


def test_missing_credentials_name_the_setting(settings):
    settings.DJANGO_VOX_TWITTER_CONSUMER_KEY = CONSUMER_KEY
    backend = Backend()
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_TWITTER_CONSUMER_SECRET"):
        backend.send("", Message(text="x"))
    assert not backend.is_open and backend.http.session is None


# -- the length X counts ------------------------------------------------------------

@pytest.mark.parametrize(("text", "length"), [
    ("x" * 280, 280),
    ("日本語のテキスト", 16),  # CJK weighs 2
    ("한국어", 6),  # so does Hangul
    ("Ωмέга עברית", 11),  # Greek, Cyrillic, Hebrew weigh 1
    ("“quotes” — and ′", 16),  # punctuation in the light ranges
    ("wait… • ‰", 4 + 2 + 1 + 2 + 1 + 2),  # but "…", "•" and "‰" are not
    ("ᄀ€→", 6),  # nor Hangul Jamo, the euro sign or arrows
    ("e\u0301", 1),  # NFC: one character
    ("see https://example.org/" + "a" * 200 + "?q=1.", 4 + 23 + 1),  # a link weighs 23
    ("(http://example.org/a_(b))", 1 + 23 + 1),
    ("visit example.com or www.example.de, not file.py", 6 + 23 + 4 + 23 + 13),
    ("example.de/page and example.de", 23 + 5 + 10),
    ("👍", 2), ("👍🏽", 2), ("❤️", 2), ("🇫🇷", 2), ("1️⃣", 2), ("👩‍💻", 2), ("👨‍👩‍👧‍👦", 2),
])
def test_weighted_length_as_x_counts(text, length):
    assert weighted_length(text) == length


def test_post_over_the_limit_fails_at_build_time_without_credentials():
    backend = Backend()
    assert backend.build_message("", "{{ s }}", {"s": "x" * 280}).text == "x" * 280
    assert backend.build_message("", "{{ s }}", {"s": "字" * 140}).text == "字" * 140
    with pytest.raises(TemplateRenderError, match="281 characters long as X counts them"):
        backend.build_message("", "{{ s }}", {"s": "x" * 281})
    with pytest.raises(TemplateRenderError, match="282 characters long"):
        backend.preview_message("", "{{ s }}", {"s": "字" * 141})
    with pytest.raises(TemplateRenderError, match="empty"):
        backend.build_message("", "{{ s }}", {"s": "  "})
    link = "https://example.org/" + "a" * 300
    assert backend.build_message("", "{{ s }} " + link, {"s": "x" * 256}).text.endswith("a")


def test_direct_message_may_be_longer_than_a_post(x_api):
    backend = Backend()
    to_jack = Contact(name="Jack", protocol="twitter", address="jack")
    message = backend.build_message("", "{{ s }}", {"s": "x" * 1000, "contact": to_jack})
    to_account = Contact(name="Us", protocol="twitter", address="")
    with pytest.raises(TemplateRenderError, match="X allows at most 280"):
        backend.build_message("", "{{ s }}", {"s": "x" * 1000, "contact": to_account})
    with pytest.raises(TemplateRenderError, match="10001 characters; X allows at most 10000"):
        backend.build_message("", "{{ s }}", {"s": "x" * 10001, "contact": to_jack})
    # A message built for a direct message cannot go out as a post.
    with pytest.raises(PermanentSendError, match="X allows at most 280"):
        Backend().send("", message)
    assert x_api.server.log == []


@pytest.mark.django_db
def test_admin_preview_warns_about_the_length(admin_client, settings):
    from django_vox.models import Notification
    from tests.testapp.models import Article

    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twitter"]
    notification = Notification.objects.get_for_model(Article, "published")
    url = reverse("admin:django_vox_notification_preview", args=[notification.pk])
    response = admin_client.post(url, {"backend": "twitter", "content": "字" * 141})
    assert response.status_code == 400
    assert "282 characters long as X counts them" in response.json()["error"]
    response = admin_client.post(url, {"backend": "twitter", "content": "字" * 140})
    assert response.status_code == 200


@pytest.mark.django_db
def test_site_contact_without_address_posts_on_the_account(x_api, settings, make_template,
                                                           committed):
    from django.contrib.auth import get_user_model

    from django_vox.models import Delivery, SiteContact
    from tests.testapp.models import Article
    from tests.testapp.registrations import ArticleRegistration

    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twitter"]
    x_api.expect("POST", "/2/tweets", body={"text": "New post: Hi"},
                 answer={"data": {"id": "1", "text": "New post: Hi"}}, status=201)
    SiteContact.objects.create(name="Our account", protocol="twitter", address="")
    article = Article.objects.create(author=get_user_model().objects.create(username="a"),
                                     title="Hi")
    make_template(Article, "published", backend="twitter", recipients="si",
                  content="New post: {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    x_api.server.check_assertions()
    assert [path for _method, path, _token in x_api.signed] == ["/2/tweets"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.to_addresses) == (Delivery.SENT, [""])
    assert not any(secret in str(delivery.message) for secret in SECRETS.values())
