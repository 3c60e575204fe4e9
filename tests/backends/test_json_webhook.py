import json
import time
from email.utils import formatdate

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from django_vox.backends.json_webhook import Backend, parse_fields
from django_vox.exceptions import (
    InvalidAddress,
    PermanentSendError,
    TemplateRenderError,
    TransientSendError,
)
from django_vox.models import Delivery, SiteContact
from tests.backends.helpers import settle, slow_handler
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

BODY = """
title: {{ object.title }}

note: time: 12:30 {{ object.body }}
author:{{ object.author.username }}
"""


def test_parse_fields_first_colon_splits_and_blank_lines_are_ignored():
    assert parse_fields("a: 1\n\n  \nb: x: y\nc:\n") == {"a": "1", "b": "x: y", "c": ""}


@pytest.mark.parametrize("body", ["just text", ": no key"])
def test_parse_fields_names_the_bad_line(body):
    with pytest.raises(TemplateRenderError, match="Line 1"):
        parse_fields(body)


def test_build_message_renders_each_value(db):
    article = Article(title='Rock & "Roll"', body="a\nb: c")
    message = Backend().build_message("", "t: {{ object.title }}\nb: {{ object.body }}",
                                      {"object": article})
    assert message.data == {"t": 'Rock & "Roll"', "b": "a\nb: c"}
    assert json.loads(message.text) == message.data


def test_preview_shows_the_json_object(db):
    html = Backend().preview_message("", "t: {{ object.title }}\nn: 1", {"object": Article(title="<Hi>")})
    assert html == ('<pre class="vox-json">{\n  &quot;t&quot;: &quot;&lt;Hi&gt;&quot;,\n'
                    '  &quot;n&quot;: &quot;1&quot;\n}</pre>')


@pytest.mark.django_db
def test_issue_posts_the_object(httpserver, make_template, committed):
    httpserver.expect_request("/hooks/in", method="POST", json={
        "title": "Launch", "note": "time: 12:30 Big day", "author": "ann"},
        headers={"Content-Type": "application/json"}).respond_with_json({"ok": True})
    SiteContact.objects.create(name="Zapier", protocol="json-webhook",
                               address=httpserver.url_for("/hooks/in"))
    user = get_user_model().objects.create(username="ann")
    article = Article.objects.create(author=user, title="Launch", body="Big day")
    make_template(Article, "published", backend="json-webhook", recipients="si", content=BODY)
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.json_webhook"]), committed():
        ArticleRegistration.published.issue(article)
    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.SENT
    assert delivery.message["data"] == {"title": "Launch", "note": "time: 12:30 Big day",
                                        "author": "ann"}


@pytest.mark.django_db
def test_failed_post_is_recorded_and_resent(httpserver, make_template, committed):
    SiteContact.objects.create(protocol="json-webhook", address=httpserver.url_for("/h"))
    user = get_user_model().objects.create(username="ann")
    article = Article.objects.create(author=user, title="Launch")
    make_template(Article, "published", backend="json-webhook", recipients="si",
                  content="t: {{ object.title }}")
    with override_settings(DJANGO_VOX_BACKENDS=["django_vox.backends.json_webhook"]):
        httpserver.expect_oneshot_request("/h").respond_with_data("overloaded", status=503)
        with committed():
            ArticleRegistration.published.issue(article)
        delivery = Delivery.objects.get()
        assert delivery.status == Delivery.FAILED
        assert "status 503" in delivery.error and "overloaded" in delivery.error
        httpserver.expect_oneshot_request("/h", json={"t": "Launch"}).respond_with_data("ok")
        assert delivery.resend() is True
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("status, error", [(400, PermanentSendError), (429, TransientSendError),
                                           (502, TransientSendError)])
def test_error_answers(httpserver, status, error):
    httpserver.expect_request("/h").respond_with_data("nope", status=status)
    message = Backend().build_message("", "a: b", {})
    with pytest.raises(error, match="nope"):
        Backend().send(httpserver.url_for("/h"), message)


@pytest.mark.parametrize("status, retry_after, seconds", [
    (429, "7", 7.0), (503, "7", 7.0), (429, "Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    (429, None, None), (502, "7", None),
])
def test_retry_after_of_429_and_503_is_on_the_error(httpserver, status, retry_after, seconds):
    headers = {"Retry-After": retry_after} if retry_after else {}
    httpserver.expect_request("/h").respond_with_data("busy", status=status, headers=headers)
    with pytest.raises(TransientSendError) as info:
        Backend().send(httpserver.url_for("/h"), Backend().build_message("", "a: b", {}))
    assert info.value.retry_after == seconds


def test_retry_after_as_an_http_date(httpserver):
    when = formatdate(time.time() + 90, usegmt=True)  # such as "Wed, 21 Oct 2065 07:28:00 GMT"
    httpserver.expect_request("/h").respond_with_data("busy", status=429,
                                                      headers={"Retry-After": when})
    with pytest.raises(TransientSendError) as info:
        Backend().send(httpserver.url_for("/h"), Backend().build_message("", "a: b", {}))
    assert 85 <= info.value.retry_after <= 90


@override_settings(DJANGO_VOX_HTTP_TIMEOUT=0.3)
def test_timeout_is_transient(httpserver):
    httpserver.expect_request("/h").respond_with_handler(slow_handler(1))
    with pytest.raises(TransientSendError, match="timed out"):
        Backend().send(httpserver.url_for("/h"), Backend().build_message("", "a: b", {}))
    settle(httpserver)


def test_non_http_address_refused_before_any_request(httpserver):
    with pytest.raises(InvalidAddress, match="gopher"):
        Backend().send("gopher://example.org/", Backend().build_message("", "a: b", {}))
    assert httpserver.log == []
