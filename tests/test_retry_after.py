"""A provider's Retry-After is honoured (issue 22): background retries come no
earlier, and the backend's rate limit pauses for every sender.

The shipped HTTP backends (JSON webhook, Slack, Twilio) send to
pytest-httpserver on 127.0.0.1, which answers 429 or 503 with Retry-After;
tasks run on the Tasks framework's DummyBackend so the test can look at the
delivery and the retry task between attempts.  The per-backend tests of the
header (each backend, seconds and HTTP dates) are in tests/backends/.
"""

import random
import time
import uuid
from datetime import timedelta
from email.utils import formatdate

import pytest
from django.utils import timezone
from werkzeug import Response

from django_vox.background import tasks
from django_vox.exceptions import SendError, TransientSendError
from django_vox.models import Delivery, SiteContact
from django_vox.pacing import ratelimit, retry
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db

FRAMEWORK = "django.tasks" if tasks.task.__module__.startswith("django.tasks") else "django_tasks"
SID = "ACretryafter"
TWILIO_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"


# -- the rule ------------------------------------------------------------------------
def test_retry_delay_is_the_backoff_without_retry_after(settings):
    settings.DJANGO_VOX_RETRY_BACKOFF = 10
    for error in (TransientSendError("busy", status=503), TimeoutError(), SendError("x")):
        delay = retry.retry_delay(error, 2, rng=random.Random(1))
        assert delay == retry.backoff_delay(2, rng=random.Random(1))


@pytest.mark.parametrize("backoff, retry_after, least, most", [
    (1, 7, 7, 7),            # the provider asks longer than the backoff: its wait wins
    (1, 7.5, 7.5, 7.5),
    (100, 7, 75, 100),       # the backoff is longer: it stays (jitter and all)
    (1, 0, 0.75, 1),         # "come back now" does not shorten the backoff
    (1, 10 ** 9, 6 * 3600, 6 * 3600),  # never more than MAX_DELAY
    (1, "7", 7, 7),
    (1, "soon", 0.75, 1), (1, float("inf"), 0.75, 1), (1, float("nan"), 0.75, 1),
])
def test_retry_delay_waits_for_retry_after(settings, backoff, retry_after, least, most):
    settings.DJANGO_VOX_RETRY_BACKOFF = backoff
    error = TransientSendError("slow down", status=429, retry_after=retry_after)
    for _ in range(20):
        delay = retry.retry_delay(error, 1).total_seconds()
        assert least <= delay <= most
    assert retry.retry_delay(error, 60) <= retry.MAX_DELAY


# -- background sends through the shipped backends -----------------------------------
@pytest.fixture
def worker(settings, httpserver):
    """Background issuing with a 1 s backoff; tasks are stored, ``worker.run_first()``
    runs the first one as a worker would."""
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
    settings.DJANGO_VOX_RETRY_BACKOFF = 1
    settings.DJANGO_VOX_BACKENDS = ["django_vox.backends.json_webhook",
                                    "django_vox.backends.slack", "django_vox.backends.twilio"]
    settings.DJANGO_VOX_TWILIO_ACCOUNT_SID = SID
    settings.DJANGO_VOX_TWILIO_AUTH_TOKEN = "retry-after-token"
    settings.DJANGO_VOX_TWILIO_FROM_NUMBER = "+14155238886"
    settings.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/")
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-retry-after"
    settings.CACHES = {**settings.CACHES, "vox-retry-after": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"vox-retry-after-{uuid.uuid4()}"}}
    tasks.task_backends["default"].clear()
    return settings


def _stored():
    return list(tasks.task_backends["default"].results)


# backend ID, site contact protocol and address (a path on the server or a number),
# the path the backend posts to, the template content
BACKENDS = {
    "json-webhook": ("json-webhook", "/hook", "/hook", "title: {{ object.title }}"),
    "slack-webhook": ("slack-webhook", "/slack", "/slack", "{{ object.title }}"),
    "twilio": ("sms", "+12025550123", TWILIO_PATH, "{{ object.title }}"),
}


def _issue_failing(httpserver, make_template, committed, article, backend, status, headers):
    """Issue to one site contact of ``backend`` in the background; the provider
    answers ``status`` with ``headers``.  Returns the time just before sending."""
    protocol, address, path, content = BACKENDS[backend]
    if address.startswith("/"):
        address = httpserver.url_for(address)
    SiteContact.objects.create(name="peer", protocol=protocol, address=address)
    body = '{"code": 20429, "message": "Too Many Requests"}' if backend == "twilio" else "busy"
    httpserver.expect_request(path, method="POST").respond_with_response(
        Response(body, status=status, headers=headers, content_type="application/json"))
    make_template(Article, "published", backend=backend, recipients="si", content=content)
    with committed():
        ArticleRegistration.published.issue(article)
    before = timezone.now()
    with committed():
        (planning,) = _stored()
        planning.task.call(*planning.args, **planning.kwargs)
    assert len(httpserver.log) == 1
    return before


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("status", [429, 503])
def test_retry_comes_no_earlier_than_retry_after(worker, httpserver, make_template, committed,
                                                 article, backend, status):
    before = _issue_failing(httpserver, make_template, committed, article, backend, status,
                            {"Retry-After": "7"})
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (Delivery.QUEUED, 1)
    assert f"status {status}" in row.error
    # The backoff alone (1 s) would come back within a second.
    assert row.next_attempt_at >= before + timedelta(seconds=7)
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=7)
    retry_task = _stored()[-1]
    assert retry_task.task.name == "send_due"
    assert retry_task.task.run_after == row.next_attempt_at


def test_retry_after_as_an_http_date_delays_the_retry(worker, httpserver, make_template,
                                                      committed, article):
    when = time.time() + 120
    _issue_failing(httpserver, make_template, committed, article, "json-webhook", 429,
                   {"Retry-After": formatdate(when, usegmt=True)})
    row = Delivery.objects.get()
    assert row.status == Delivery.QUEUED
    # The date has whole seconds: the retry comes at that second or just after.
    assert when - 1 <= row.next_attempt_at.timestamp() <= when + 5


def test_a_longer_backoff_is_kept(worker, httpserver, make_template, committed, article):
    worker.DJANGO_VOX_RETRY_BACKOFF = 600
    before = _issue_failing(httpserver, make_template, committed, article, "slack-webhook", 429,
                            {"Retry-After": "7"})
    row = Delivery.objects.get()
    assert row.next_attempt_at >= before + timedelta(seconds=600 * (1 - retry.JITTER))


def test_without_retry_after_the_backoff_decides(worker, httpserver, make_template, committed,
                                                 article):
    _issue_failing(httpserver, make_template, committed, article, "twilio", 429, {})
    row = Delivery.objects.get()
    assert row.status == Delivery.QUEUED
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=1)


def test_a_429_pauses_the_backends_rate_limit(worker, httpserver, make_template, committed,
                                              article):
    backend = "twilio"  # a provider's endpoint (webhooks: tests/test_pacing_hostile.py)
    worker.DJANGO_VOX_RATE_LIMITS = {backend: "100/s"}
    start = time.time()
    _issue_failing(httpserver, make_template, committed, article, backend, 429,
                   {"Retry-After": "4"})
    bucket = ratelimit.limiter_for(backend)
    assert start + 4 <= bucket.paused_until() <= time.time() + 4
    assert bucket.slowdown() == 2
    # A sender now waits for the pause to end before its turn.
    assert bucket.reserve() >= 4 - (time.time() - start)
