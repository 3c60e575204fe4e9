"""Hostile data cannot stall sending (issue 34, item 4): a 429 from an
endpoint the recipient owns pauses only that address; no sender sleeps
longer than ``ratelimit.MAX_WAIT`` in its process (the message fails
transiently instead, and is resendable); required notifications are never
held by the recipient limit.  Each holds on one connection and on four
(``DJANGO_VOX_CONCURRENCY``; more of that in tests/test_concurrency.py).
Real peers: pytest-httpserver and the SMTP fixture on 127.0.0.1; sleeps are
recorded instead of slept."""

import uuid

import pytest
from werkzeug import Response

from django_vox.models import Delivery, Notification, SiteContact, Template
from django_vox.pacing import ratelimit
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.test_digests import at, digest_template, publish, readers  # noqa: F401
from tests.test_retry_after import BACKENDS, SID, TWILIO_PATH  # noqa: F401
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def sleeps(monkeypatch):
    """Every sleep a rate limiter asks for, instead of sleeping."""
    asked = []
    monkeypatch.setattr(ratelimit, "wait", asked.append)
    return asked


@pytest.fixture
def http(settings, httpserver):
    """The HTTP backends, sending in-process, rate-limited in a cache of their own."""
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.json_webhook",
                                    "django_vox.backends.slack", "django_vox.backends.twilio"]
    settings.DJANGO_VOX_TWILIO_ACCOUNT_SID = SID
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = "hostile-token"
    settings.DJANGO_VOX_TWILIO_FROM_NUMBER = "+14155238886"
    settings.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/")
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-hostile"
    settings.CACHES = {**settings.CACHES, "vox-hostile": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"vox-hostile-{uuid.uuid4()}"}}
    return settings


def _issue(committed, article):
    with committed():
        ArticleRegistration.published.issue(article)


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("backend", ["json-webhook", "slack-webhook"])
def test_a_recipients_own_endpoint_answering_429_slows_only_that_address(
        http, httpserver, make_template, committed, article, sleeps, backend, concurrency):
    http.DJANGO_VOX_RATE_LIMITS = {backend: "100/s"}
    http.DJANGO_VOX_CONCURRENCY = concurrency
    protocol, _address, _path, content = BACKENDS[backend]
    SiteContact.objects.create(name="hostile", protocol=protocol,
                               address=httpserver.url_for("/hostile"))
    SiteContact.objects.create(name="other", protocol=protocol,
                               address=httpserver.url_for("/other"))
    httpserver.expect_request("/hostile", method="POST").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "3600"}))
    httpserver.expect_request("/other", method="POST").respond_with_data("ok")
    make_template(Article, "published", backend=backend, recipients="si", content=content)
    _issue(committed, article)
    _issue(committed, article)  # the hostile address is paused now; the other one is not
    hits = [request.path for request, _response in httpserver.log]
    assert hits.count("/other") == 2 and hits.count("/hostile") == 1
    bucket = ratelimit.limiter_for(backend)
    assert bucket.paused_until() == 0 and bucket.slowdown() == 1
    assert all(seconds <= ratelimit.MAX_WAIT for seconds in sleeps)
    failed = Delivery.objects.filter(status=Delivery.FAILED).order_by("created_at")
    assert [row.to_addresses for row in failed] == [[httpserver.url_for("/hostile")]] * 2
    assert "status 429" in failed[0].error
    assert "asked for a pause of another" in failed[1].error


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_synchronous_sender_never_sleeps_through_a_long_pause(
        http, httpserver, make_template, committed, article, sleeps, concurrency):
    http.DJANGO_VOX_RATE_LIMITS = {"twilio": "100/s"}
    http.DJANGO_VOX_CONCURRENCY = concurrency
    SiteContact.objects.create(name="peer", protocol="sms", address="+12025550123")
    httpserver.expect_oneshot_request(TWILIO_PATH, method="POST").respond_with_response(
        Response('{"code": 20429, "message": "Too Many Requests"}', status=429,
                 headers={"Retry-After": "3600"}, content_type="application/json"))
    make_template(Article, "published", backend="twilio", recipients="si",
                  content="{{ object.title }}")
    _issue(committed, article)
    _issue(committed, article)  # the provider paused the backend for an hour
    assert len(httpserver.log) == 1 and sleeps == []
    first, second = Delivery.objects.order_by("created_at")
    assert first.status == second.status == Delivery.FAILED
    assert "is paused for another" in second.error
    # Resendable once the pause has passed.
    httpserver.expect_request(TWILIO_PATH, method="POST").respond_with_json(
        {"sid": "SM1", "status": "queued"}, status=201)
    ratelimit.limiter_for("twilio").cache.clear()
    second.resend()
    second.refresh_from_db()
    assert second.status == Delivery.SENT


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_synchronous_sender_does_not_wait_long_for_its_turn(
        http, httpserver, make_template, committed, article, sleeps, concurrency):
    http.DJANGO_VOX_RATE_LIMITS = {"json-webhook": "1/m"}
    http.DJANGO_VOX_CONCURRENCY = concurrency
    for name in ("a", "b"):
        SiteContact.objects.create(name=name, protocol="json-webhook",
                                   address=httpserver.url_for(f"/{name}"))
    httpserver.expect_request("/a", method="POST").respond_with_data("ok")
    httpserver.expect_request("/b", method="POST").respond_with_data("ok")
    make_template(Article, "published", backend="json-webhook", recipients="si",
                  content="title: {{ object.title }}")
    with at(2026, 3, 2, 9, 5):  # at the start of a minute: the next turn is a minute away
        _issue(committed, article)
    assert len(httpserver.log) == 1 and sleeps == []  # the second turn is a minute away
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert "may send again in" in failed.error and "longer than a synchronous" in failed.error


@pytest.mark.usefixtures("vox_email", "readers")
def test_required_notifications_are_never_held_by_the_recipient_limit(
        settings, digest_template, smtp_server, committed):  # noqa: F811
    settings.TIME_ZONE = "Europe/Paris"
    settings.DJANGO_VOX_RECIPIENT_LIMIT = "2/h"
    digest_template.delivery_mode = Template.IMMEDIATELY
    digest_template.save()
    Notification.objects.filter(pk=digest_template.notification_id).update(required=True)
    with at(2026, 3, 2, 9, 5):
        publish(committed, "A", "B", "C", "D", "E")
    to_r0 = [m["Subject"] for m in smtp_server.messages if m["To"] == "r0@example.org"]
    assert to_r0 == ["New: A", "New: B", "New: C", "New: D", "New: E"]
    assert not Delivery.objects.filter(status=Delivery.HELD).exists()
