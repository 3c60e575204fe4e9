"""The Postmark template backend against a local HTTP server (pytest-httpserver)."""

import json
import logging
import time
import uuid

import pytest
import time_machine
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
from django_vox.pacing import ratelimit
from tests.backends.email_helpers import EMAIL_BACKENDS, make_article
from tests.testapp.models import Article, Subscriber
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
        "/pm/email/batchWithTemplates", method="POST",
        headers={"X-Postmark-Server-Token": TOKEN, "Accept": "application/json"},
    ).respond_with_json([OK, OK])
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="article-{{ notification.codename }}",
                  from_address="Desk <desk@example.org>",
                  content="title: {{ object.title }}\nname: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    [(request, _response)] = postmark.log  # individual messages: one batch request
    bodies = sorted(json.loads(request.get_data())["Messages"], key=lambda body: body["To"])
    assert len(bodies) == 2
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
def test_a_single_message_uses_the_single_endpoint(postmark, make_template, committed):
    article = make_article(subscribers=1)
    postmark.expect_oneshot_request("/pm/email/withTemplate", method="POST").respond_with_json(OK)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="alias", content="n: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    [(request, _response)] = postmark.log
    body = json.loads(request.data)
    body.pop("Headers")
    assert body == {"From": "news@example.org", "To": "s0@example.org", "TemplateAlias": "alias",
                    "TemplateModel": {"n": "Subscriber 0"}}
    assert Delivery.objects.get().status == Delivery.SENT


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


# -- the batch endpoint (send_many) ---------------------------------------------------
def _accept_all(request):
    messages = json.loads(request.get_data())["Messages"]
    # Postmark's real answer: about 170 bytes per message, so 500 of them are
    # larger than the 64 KiB read from a receiver that is not a provider.
    return Response(json.dumps([{**OK, "To": m["To"], "MessageID": str(uuid.uuid4()),
                                 "SubmittedAt": "2026-12-03T09:00:00.1234567-05:00"}
                                for m in messages]), content_type="application/json")


def _subscribers(n, start=0):
    Subscriber.objects.bulk_create(Subscriber(name=f"Reader {i}", email=f"r{i}@example.org")
                                   for i in range(start, start + n))


@pytest.mark.django_db
def test_a_thousand_individual_messages_take_two_requests(postmark, make_template, committed,
                                                          settings):
    settings.DJANGO_VOX_BATCH_SIZE = 1000
    article = make_article(subscribers=0)
    _subscribers(1000)
    postmark.expect_request(
        "/pm/email/batchWithTemplates", method="POST",
        headers={"X-Postmark-Server-Token": TOKEN, "Accept": "application/json",
                 "Content-Type": "application/json"},
    ).respond_with_handler(_accept_all)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="news", content="name: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    batches = [json.loads(request.get_data())["Messages"] for request, _response in postmark.log
               if request.path.endswith("/batchWithTemplates")]
    assert len(batches) == 2  # and no single sends (the timeout test's may land late here)
    assert not [r for r, _response in postmark.log if b"Reader" in r.get_data()
                and not r.path.endswith("/batchWithTemplates")]
    assert [len(batch) for batch in batches] == [500, 500]
    sent = {}
    for message in (m for batch in batches for m in batch):
        assert set(message) == {"From", "To", "TemplateAlias", "TemplateModel", "Headers"}
        assert (message["From"], message["TemplateAlias"]) == ("news@example.org", "news")
        sent[message["To"]] = message["TemplateModel"]
    assert sent == {f"r{i}@example.org": {"name": f"Reader {i}"} for i in range(1000)}
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 1000
    assert not Delivery.objects.exclude(status=Delivery.SENT).exists()


@pytest.mark.django_db
def test_a_partial_failure_is_recorded_per_delivery(postmark, make_template, committed,
                                                    settings):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    article = make_article(subscribers=0)
    _subscribers(3)
    Subscriber.objects.create(name="Bad", email="r3@example..org")  # refused before sending
    inactive = {"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been "
                "marked as inactive.", "To": "r1@example.org"}

    def answer(request):
        messages = json.loads(request.get_data())["Messages"]
        assert [m["To"] for m in messages] == ["r0@example.org", "r1@example.org",
                                               "r2@example.org"]
        return Response(json.dumps([OK, inactive, OK]), content_type="application/json")

    postmark.expect_oneshot_request("/pm/email/batchWithTemplates").respond_with_handler(answer)
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="news", content="name: {{ recipient.name }}")
    with committed():
        ArticleRegistration.published.issue(article)
    postmark.check_assertions()
    outcome = {row.to_addresses[0]: row for row in Delivery.objects.all()}
    assert {address: row.status for address, row in outcome.items()} == {
        "r0@example.org": Delivery.SENT, "r1@example.org": Delivery.FAILED,
        "r2@example.org": Delivery.SENT, "r3@example..org": Delivery.FAILED}
    error = outcome["r1@example.org"].error
    assert "code 406" in error and "marked as inactive" in error
    assert "Invalid address 'r3@example..org'" in outcome["r3@example..org"].error


def test_send_many_maps_each_result_and_whole_request_failures(postmark):
    items = [(f"a{i}@example.org", Message(subject="t", data={"i": str(i)})) for i in range(3)]
    postmark.expect_oneshot_request("/pm/email/batchWithTemplates").respond_with_json(
        [OK, {"ErrorCode": 300, "Message": "Invalid email request"}, OK])
    postmark.expect_oneshot_request("/pm/email/batchWithTemplates").respond_with_json([OK])
    postmark.expect_oneshot_request("/pm/email/batchWithTemplates").respond_with_data(
        "busy", status=503)
    with Backend() as backend:
        first = backend.send_many(items)
        unknown = backend.send_many(items)  # one result for three messages
        busy = backend.send_many(items)
    assert first[0] == first[2] == "abc"  # Postmark's MessageID of each accepted message
    assert isinstance(first[1], PermanentSendError) and first[1].code == 300
    assert len({id(err) for err in unknown}) == 1 and "which were sent is unknown" in str(
        unknown[0])
    assert all(isinstance(err, TransientSendError) and err.status == 503 for err in busy)
    # (Filtered: the timeout test's slow answer may land in this log late.)
    assert [json.loads(r.get_data())["Messages"][1]["TemplateModel"]
            for r, _response in postmark.log if r.path.endswith("/batchWithTemplates")
            ] == [{"i": "1"}] * 3


@pytest.mark.django_db
def test_a_429_with_retry_after_slows_the_rate_limit(postmark, make_template, committed,
                                                     settings):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_RATE_LIMITS = {"postmark-template": "100/s"}
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-postmark"
    settings.CACHES = {**settings.CACHES, "vox-postmark": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "vox-postmark"}}
    article = make_article(subscribers=2)
    postmark.expect_oneshot_request("/pm/email/batchWithTemplates").respond_with_response(
        Response('{"ErrorCode": 429, "Message": "Rate limit exceeded"}', status=429,
                 headers={"Retry-After": "7"}, content_type="application/json"))
    make_template(Article, "published", backend="postmark-template", recipients="c:subs",
                  subject="news", content="a: b")
    with time_machine.travel(1_800_000_000, tick=False):
        with committed():
            ArticleRegistration.published.issue(article)
        bucket = ratelimit.limiter_for("postmark-template")
        assert bucket.paused_until() == 1_800_000_007
        assert bucket.slowdown() == 2
    failed = list(Delivery.objects.values_list("status", "error"))
    assert [status for status, _error in failed] == [Delivery.FAILED] * 2
    assert all("status 429" in error and "Rate limit exceeded" in error for _s, error in failed)
