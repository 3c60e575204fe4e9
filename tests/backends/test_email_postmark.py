"""The Postmark template backend against a local HTTP server (pytest-httpserver)."""

import json
import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from werkzeug import Response

from django_vox.backends.postmark_email import Backend, parse_model_lines
from django_vox.exceptions import (
    PermanentSendError,
    TemplateRenderError,
    TransientSendError,
)
from django_vox.messages import Message
from django_vox.models import Delivery, FailedMessage
from tests.backends.email_helpers import EMAIL_BACKENDS, make_article
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

TOKEN = "server-token-5ecret"
OK = {"To": "x", "SubmittedAt": "2026-01-01T00:00:00Z", "MessageID": "abc", "ErrorCode": 0,
      "Message": "OK"}


@pytest.fixture
def postmark(settings, httpserver):
    settings.DJANGO_VOX_BACKENDS = EMAIL_BACKENDS
    settings.DJANGO_VOX_POSTMARK_TOKEN = TOKEN
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = httpserver.url_for("/pm/")
    settings.DEFAULT_FROM_EMAIL = "news@example.org"
    return httpserver


def test_model_lines_first_colon_splits_and_blank_lines_are_ignored():
    assert parse_model_lines("a: 1\n\n  url: http://x/y  \nb:") == [
        ("a", "1"), ("url", "http://x/y"), ("b", "")]
    with pytest.raises(TemplateRenderError, match="Line 2"):
        parse_model_lines("a: 1\nno colon here")


def test_build_renders_each_value_as_a_template():
    message = Backend().build_message(
        "welcome-{{ kind }}", "name: {{ name }}\n\nlink: https://x/?a=1&b={{ n|add:1 }}",
        {"kind": "new", "name": "Tom & <Jerry>\nnext: injected", "n": 1})
    assert message.subject == "welcome-new"
    assert message.data == {"name": "Tom & <Jerry>\nnext: injected", "link": "https://x/?a=1&b=2"}


@pytest.mark.django_db
def test_issue_posts_template_alias_model_and_token(postmark, make_template, committed):
    article = make_article("Big <news>", subscribers=2)
    postmark.expect_request(
        "/pm/email/withTemplate", method="POST",
        headers={"X-Postmark-Server-Token": TOKEN, "Accept": "application/json"},
    ).respond_with_json(OK)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="article-{{ notification.codename }}",
                  from_address="Desk <desk@example.org>",
                  content="title: {{ object.title }}\nname: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    assert len(postmark.log) == 2
    bodies = sorted((json.loads(request.get_data()) for request, _response in postmark.log),
                    key=lambda body: body["To"])
    for i, body in enumerate(bodies):
        headers = {h["Name"]: h["Value"] for h in body.pop("Headers")}
        assert body == {"From": "Desk <desk@example.org>", "To": f"s{i}@example.org",
                        "TemplateAlias": "article-published",
                        "TemplateModel": {"title": "Big <news>", "name": f"Subscriber {i}"}}
        # The recipient's one-click unsubscribe link travels as email headers.
        assert headers["List-Unsubscribe"].startswith("<https://example.com/vox/unsubscribe/")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 2


@pytest.mark.django_db
def test_bulk_sends_one_request_to_all(postmark, make_template, committed):
    article = make_article(subscribers=3)
    postmark.expect_oneshot_request("/pm/email/withTemplate", method="POST").respond_with_json(OK)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="digest", content="n: 1", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    [(request, _response)] = postmark.log
    assert json.loads(request.data)["To"] == "s0@example.org, s1@example.org, s2@example.org"
    assert json.loads(request.data)["From"] == "news@example.org"


@pytest.mark.django_db
def test_error_carries_error_code_and_message_and_never_the_token(postmark, make_template,
                                                                  committed, caplog):
    caplog.set_level(logging.DEBUG, logger="django_vox")
    article = make_article(subscribers=1)
    postmark.expect_request("/pm/email/withTemplate").respond_with_json(
        {"ErrorCode": 1101, "Message": "The template alias 'nope' does not exist."}, status=422)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="nope", content="a: b")
    with committed():
        ArticleRegistration.published.issue(article)
    failed = FailedMessage.objects.get()
    assert "code 1101" in failed.error and "status 422" in failed.error
    assert "The template alias 'nope' does not exist." in failed.error
    everything = failed.error + json.dumps(failed.message) + caplog.text
    assert TOKEN not in everything


def test_error_exception_fields(postmark):
    postmark.expect_request("/pm/email/withTemplate").respond_with_json(
        {"ErrorCode": 300, "Message": "Invalid email request"}, status=422)
    with Backend() as backend, pytest.raises(PermanentSendError) as info:
        backend.send("a@example.org", Message(subject="t", data={}))
    assert (info.value.code, info.value.status) == (300, 422)
    assert "Invalid email request" in str(info.value)


def test_server_errors_are_transient(postmark):
    postmark.expect_request("/pm/email/withTemplate").respond_with_data("busy", status=503)
    with Backend() as backend, pytest.raises(TransientSendError) as info:
        backend.send("a@example.org", Message(subject="t", data={}))
    assert info.value.status == 503


def test_a_200_with_an_error_code_is_an_error(postmark):
    postmark.expect_request("/pm/email/withTemplate").respond_with_json(
        {"ErrorCode": 406, "Message": "Inactive recipient"})
    with Backend() as backend, pytest.raises(PermanentSendError, match="Inactive recipient"):
        backend.send("a@example.org", Message(subject="t", data={}))


def test_timeout_is_transient(postmark, settings):
    settings.DJANGO_VOX_HTTP_TIMEOUT = 0.2

    def slow(request):
        time.sleep(1)
        return Response("{}", content_type="application/json")

    postmark.expect_request("/pm/email/withTemplate").respond_with_handler(slow)
    with Backend() as backend, pytest.raises(TransientSendError, match="timed out"):
        backend.send("a@example.org", Message(subject="t", data={}))


def test_missing_token_is_an_error_only_when_sending(settings):
    settings.DJANGO_VOX_POSTMARK_TOKEN = None
    assert Backend.missing_settings() == ["DJANGO_VOX_POSTMARK_TOKEN"]
    message = Backend().build_message("alias", "a: {{ x }}", {"x": 1})
    assert message.data == {"a": "1"}
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_POSTMARK_TOKEN"):
        Backend().send("a@example.org", message)


def test_unreachable_endpoint_is_transient(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.DJANGO_VOX_POSTMARK_TOKEN = TOKEN
    settings.DJANGO_VOX_POSTMARK_ENDPOINT = f"http://127.0.0.1:{port}"
    with pytest.raises(TransientSendError, match="could not connect"):
        Backend().send("a@example.org", Message(subject="t", data={}))
