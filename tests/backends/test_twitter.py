from urllib.parse import parse_qs

import pytest
from django.test import override_settings

from django_vox.backends.twitter import Backend
from django_vox.exceptions import InvalidAddress, PermanentSendError, TransientSendError
from django_vox.messages import Message
from tests.backends.helpers import settle, slow_handler

SECRETS = {"DJANGO_VOX_TWITTER_CONSUMER_KEY": "ckey", "DJANGO_VOX_TWITTER_CONSUMER_SECRET": "csecret",
           "DJANGO_VOX_TWITTER_TOKEN_KEY": "tkey", "DJANGO_VOX_TWITTER_TOKEN_SECRET": "tsecret"}
DM_EVENT = {"event": {"type": "message_create", "id": "1", "created_timestamp": "1",
                      "message_create": {"target": {"recipient_id": "42"}, "sender_id": "7",
                                         "message_data": {"text": "hi"}}}}


@pytest.fixture
def twitter(httpserver, settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.DJANGO_VOX_TWITTER_API_BASE = httpserver.url_for("/1.1")
    return httpserver


def oauth_params(request):
    header = request.headers["Authorization"]
    assert header.startswith("OAuth ")
    return dict(part.strip().split("=", 1) for part in header[6:].split(","))


def test_empty_address_posts_a_status_update(twitter):
    twitter.expect_request("/1.1/statuses/update.json", method="POST") \
        .respond_with_json({"id": 99, "text": "Hello world"})
    with Backend() as backend:
        backend.send("", Message(text="Hello world"))
    request = twitter.log[0][0]
    assert parse_qs(request.get_data(as_text=True))["status"] == ["Hello world"]
    oauth = oauth_params(request)
    assert oauth["oauth_consumer_key"] == '"ckey"' and oauth["oauth_token"] == '"tkey"'
    assert "oauth_signature" in oauth
    assert "csecret" not in request.headers["Authorization"]


def test_handle_gets_a_direct_message(twitter):
    twitter.expect_ordered_request("/1.1/users/show.json", method="GET",
                                   query_string={"include_entities": "True", "screen_name": "jack",
                                                 "tweet_mode": "compat"}) \
        .respond_with_json({"id": 42, "screen_name": "jack"})
    twitter.expect_ordered_request("/1.1/direct_messages/events/new.json", method="POST", json={
        "event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": 42}, "message_data": {"text": "hi"}}}}) \
        .respond_with_json(DM_EVENT)
    with Backend() as backend:
        session = backend.http.session
        backend.send("jack", Message(text="hi"))
        assert backend.http.session is session
    twitter.check_assertions()
    assert [req.path for req, _resp in twitter.log] == [
        "/1.1/users/show.json", "/1.1/direct_messages/events/new.json"]
    assert all(oauth_params(req)["oauth_token"] == '"tkey"' for req, _resp in twitter.log)


@pytest.mark.parametrize("address", ["@jack", "jack smith", "x" * 16, "jack!"])
def test_bad_handles_are_refused_before_any_request(twitter, address):
    with pytest.raises(InvalidAddress):
        Backend().send(address, Message(text="hi"))
    assert twitter.log == []


def test_twitter_error_code_is_kept(twitter):
    twitter.expect_request("/1.1/statuses/update.json").respond_with_json(
        {"errors": [{"code": 187, "message": "Status is a duplicate."}]}, status=403)
    with pytest.raises(PermanentSendError) as info:
        Backend().send("", Message(text="again"))
    assert (info.value.status, info.value.code) == (403, 187)
    assert "Status is a duplicate." in str(info.value)
    assert not any(secret in str(info.value) for secret in SECRETS.values())


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_transient(twitter, status):
    twitter.expect_request("/1.1/statuses/update.json").respond_with_json(
        {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, status=status)
    with pytest.raises(TransientSendError) as info:
        Backend().send("", Message(text="x"))
    assert info.value.code == 88


@override_settings(DJANGO_VOX_HTTP_TIMEOUT=0.3)
def test_timeout_is_transient(twitter):
    twitter.expect_request("/1.1/statuses/update.json").respond_with_handler(slow_handler(1))
    with pytest.raises(TransientSendError, match="timed out"):
        Backend().send("", Message(text="x"))
    settle(twitter)


def test_too_long_status_fails_without_a_request(twitter):
    with pytest.raises(PermanentSendError, match="CHARACTER_LIMIT"):
        Backend().send("", Message(text="x" * 400))
    assert twitter.log == []


@pytest.mark.django_db
def test_site_contact_without_address_posts_on_the_account(twitter, settings, make_template,
                                                           committed):
    from django.contrib.auth import get_user_model

    from django_vox.models import Delivery, SiteContact
    from tests.testapp.models import Article
    from tests.testapp.registrations import ArticleRegistration

    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.twitter"]
    twitter.expect_request("/1.1/statuses/update.json", method="POST") \
        .respond_with_json({"id": 1, "text": "New post: Hi"})
    SiteContact.objects.create(name="Our account", protocol="twitter", address="")
    article = Article.objects.create(author=get_user_model().objects.create(username="a"),
                                     title="Hi")
    make_template(Article, "published", backend="twitter", recipients="si",
                  content="New post: {{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert [parse_qs(req.get_data(as_text=True))["status"] for req, _resp in twitter.log] == [
        ["New post: Hi"]]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.to_addresses) == (Delivery.SENT, [""])
    assert not any(secret in str(delivery.message) for secret in SECRETS.values())
