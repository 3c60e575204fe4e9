"""Several connections per sender (DJANGO_VOX_CONCURRENCY) and the chunk size
(DJANGO_VOX_CHUNK_SIZE), against the real aiosmtpd fixture and pytest-httpserver.

Counts only, never times: connections at the receiver, messages per address,
log rows and their marks, rate-limit slots.
"""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from werkzeug import Response

from django_vox.backends import html_email, locmem, xmpp
from django_vox.background import chunks, tasks
from django_vox.issuing import lanes, resending
from django_vox.models import Delivery, IssueChunk, SiteContact
from django_vox.pacing import ratelimit
from tests.test_tasks import DUMMY
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db]
EMAIL = ["django_vox.backends.html_email.Backend"]
EmailBackend = html_email.Backend


def _members(count):
    Subscriber.objects.bulk_create(Subscriber(name=f"M{i}", email=f"m{i}@example.org")
                                   for i in range(count))
    return sorted(f"m{i}@example.org" for i in range(count))


@pytest.fixture
def email_issue(settings, smtp_settings, make_template):
    settings.DJANGO_VOX_BACKENDS = EMAIL
    settings.DJANGO_VOX_SEND_ON_COMMIT = False
    settings.DJANGO_VOX_CONCURRENCY = 4
    make_template(Article, "published", backend="email-html", recipients="c:subs",
                  subject="S", content="<p>Hi {{ contact.name }}</p>")
    return settings


def _received(smtp_server):
    return sorted(address for envelope in smtp_server.envelopes for address in envelope.rcpt_tos)


def _is_sent_mark(sql):
    return sql.startswith("UPDATE") and '"status" = ' in sql and '"sent_at" = ' in sql


# -- in-process ------------------------------------------------------------------------
def test_four_connections_send_each_message_once(email_issue, smtp_server, article):
    expected = _members(40)
    ArticleRegistration.published.issue(article)
    assert _received(smtp_server) == expected
    assert (smtp_server.connections, smtp_server.most_active) == (4, 4)
    rows = list(Delivery.objects.all())
    assert sorted(row.to_addresses[0] for row in rows) == expected  # one row per message
    assert {(row.status, row.attempts) for row in rows} == {(Delivery.SENT, 1)}


def test_fewer_messages_than_connections_open_fewer(email_issue, smtp_server, article):
    expected = _members(2)
    ArticleRegistration.published.issue(article)
    assert _received(smtp_server) == expected
    assert smtp_server.connections == 2


def test_a_failing_connection_is_recorded_failed_and_resendable(email_issue, smtp_server,
                                                                article):
    """The receiver refuses every message on its second connection: those
    rows are recorded failed with the answer; resending them delivers each
    once, and nobody gets a message twice."""
    email_issue.DJANGO_VOX_THROW_EXCEPTIONS = False
    expected = _members(20)
    smtp_server.connection_data_responses[2] = "451 4.3.0 Lane two is unwell"
    ArticleRegistration.published.issue(article)
    failed = list(Delivery.objects.filter(status=Delivery.FAILED))
    sent = Delivery.objects.filter(status=Delivery.SENT)
    assert failed and sent.count() + len(failed) == 20
    assert all("451" in row.error and row.attempts == 1 for row in failed)
    assert _received(smtp_server) == sorted(row.to_addresses[0] for row in sent)

    smtp_server.connection_data_responses.clear()
    result = resending.resend(Delivery.objects.filter(status=Delivery.FAILED))
    assert result.sent == len(failed) and not result.failed
    assert _received(smtp_server) == expected
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_rate_limit_slots_are_shared_by_every_connection(email_issue, smtp_server, article,
                                                         monkeypatch):
    """Each message takes its own slot of the one limit, whichever lane sends it."""
    email_issue.DJANGO_VOX_RATE_LIMITS = {"email-html": "2000/s"}
    email_issue.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lanes"}}
    slots = []
    reserve = ratelimit.RateLimiter.reserve

    def counting(self, count=1, not_before=0.0):
        delay = reserve(self, count, not_before)
        slots.append((count, self.last_slot))
        return delay

    monkeypatch.setattr(ratelimit.RateLimiter, "reserve", counting)
    expected = _members(24)
    ArticleRegistration.published.issue(article)
    assert _received(smtp_server) == expected
    assert smtp_server.connections == 4
    assert len(slots) == 24 and {count for count, _slot in slots} == {1}
    assert len({slot for _count, slot in slots}) == 24


def test_a_429_on_one_connection_pauses_the_shared_limit(settings, httpserver, make_template,
                                                         article):
    settings.DJANGO_VOX_BACKENDS = ["tests.support.worker_backends.WebhookBackend"]
    settings.DJANGO_VOX_HTTP_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.DJANGO_VOX_CONCURRENCY = 3
    settings.DJANGO_VOX_SEND_ON_COMMIT = False
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_RATE_LIMITS = {"test-webhook": "100/s"}
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lanes-429"}}
    answered = []

    def handle(request):
        answered.append(request.path)
        if request.path == "/hook/0":
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response("{}", status=200)

    httpserver.expect_request("/hook/0", method="POST").respond_with_handler(handle)
    for i in range(1, 6):
        httpserver.expect_request(f"/hook/{i}", method="POST").respond_with_handler(handle)
    SiteContact.objects.bulk_create(
        SiteContact(name=f"hook {i}", protocol="json-webhook",
                    address=httpserver.url_for(f"/hook/{i}")) for i in range(6))
    make_template(Article, "published", backend="test-webhook", recipients="si",
                  subject="S", content="Hi")
    before = timezone.now().timestamp()
    ArticleRegistration.published.issue(article)
    assert sorted(answered) == sorted(f"/hook/{i}" for i in range(6))
    limiter = ratelimit.limiter_for("test-webhook")
    assert limiter.paused_until() >= before + 1 and limiter.slowdown() == 2
    throttled = Delivery.objects.get(to_addresses=[httpserver.url_for("/hook/0")])
    assert throttled.status == Delivery.FAILED and "429" in throttled.error
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 5


# -- an endpoint the recipient owns, paused by its own 429 ------------------------------
ENDPOINT_BACKENDS = {"json-webhook": "django_vox.backends.json_webhook",
                     "slack-webhook": "django_vox.backends.slack"}


@pytest.fixture
def endpoints(settings):
    """The webhook backends on four connections, rate-limited (so that an
    address can be paused) in a cache of their own; retries are stored tasks."""
    settings.DJANGO_VOX_BACKENDS = list(ENDPOINT_BACKENDS.values())
    settings.DJANGO_VOX_CONCURRENCY = 4
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_RATE_LIMITS = dict.fromkeys(ENDPOINT_BACKENDS, "1000/s")
    settings.DJANGO_VOX_RATE_LIMIT_CACHE = "vox-lanes"
    settings.CACHES = {**settings.CACHES, "vox-lanes": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"vox-lanes-{uuid.uuid4()}"}}
    settings.TASKS = DUMMY
    tasks.task_backends["default"].clear()
    return settings


def _due_rows(backend, urls):
    """Deliveries to ``urls`` (in that order) waiting for a retry that is due."""
    return [Delivery.objects.create(backend=backend, protocol=backend, to_addresses=[url],
                                    message={"text": "Hi", "data": {"text": "Hi"}},
                                    next_attempt_at=timezone.now()) for url in urls]


def _answer_ok(httpserver, paths):
    for path in paths:
        httpserver.expect_request(path, method="POST").respond_with_data("ok")


@pytest.mark.parametrize("backend", list(ENDPOINT_BACKENDS))
def test_a_paused_address_is_not_sent_to_while_the_other_connections_go_on(
        endpoints, httpserver, committed, backend):
    """A worker retries eight deliveries on four connections; one address
    answers 429 with a minute's Retry-After.  It is asked once: its other two
    deliveries are not sent within the pause but queued for a retry after it
    (failed transiently, as on one connection), while the five other
    addresses are sent.  The retry, after the pause, sends them."""
    paused = httpserver.url_for("/paused")
    others = [f"/ok/{i}" for i in range(5)]
    httpserver.expect_request("/paused", method="POST").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "60"}))
    _answer_ok(httpserver, others)
    rows = _due_rows(backend, [paused, httpserver.url_for(others[0]), paused,
                               httpserver.url_for(others[1]), paused,
                               *(httpserver.url_for(path) for path in others[2:])])
    before = timezone.now()
    with committed():
        result = tasks.send_due.call({str(row.pk): 0 for row in rows})
    assert result == {"sent": 5, "not_sent": 3}
    hits = [request.path for request, _response in httpserver.log]
    assert hits.count("/paused") == 1 and sorted(set(hits) - {"/paused"}) == others
    waiting = list(Delivery.objects.filter(to_addresses=[paused]))
    assert {(row.status, row.attempts) for row in waiting} == {(Delivery.QUEUED, 1)}
    errors = sorted(row.error for row in waiting)
    assert sum("status 429" in error for error in errors) == 1
    assert sum("asked for a pause of another" in error for error in errors) == 2
    assert all(row.next_attempt_at >= before + timedelta(seconds=59) for row in waiting)
    (retry,) = tasks.task_backends["default"].results
    assert retry.task.name == "send_due" and set(retry.args[0]) == {str(r.pk) for r in waiting}
    # After the pause: the retry sends each of them once.
    ratelimit.limiter_for(backend).cache.clear()
    httpserver.clear_all_handlers()
    _answer_ok(httpserver, ["/paused"])
    with committed():
        assert retry.task.call(*retry.args, **retry.kwargs) == {"sent": 3, "not_sent": 0}
    assert [request.path for request, _r in httpserver.log].count("/paused") == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_a_short_pause_is_waited_for_on_its_own_connection(endpoints, httpserver):
    """A resend on four connections; the paused address answers 429 to any
    request within a second of its last 429 (Retry-After: 1), as a limited
    endpoint does.  Its requests go one at a time, each after the pause the
    one before set: none comes within the pause, and only the first fails."""
    lock, refused_at, within = threading.Lock(), [], []

    def paused_endpoint(request):
        with lock:
            now = time.time()
            if refused_at and now < refused_at[-1] + 1:
                within.append(now)
            elif refused_at:
                return Response("ok", status=200)
            refused_at.append(now)
            return Response("slow down", status=429, headers={"Retry-After": "1"})

    httpserver.expect_request("/paused", method="POST").respond_with_handler(paused_endpoint)
    _answer_ok(httpserver, ["/ok/0", "/ok/1", "/ok/2"])
    paused = httpserver.url_for("/paused")
    rows = _due_rows("json-webhook", [paused, httpserver.url_for("/ok/0"), paused,
                                      httpserver.url_for("/ok/1"), paused,
                                      httpserver.url_for("/ok/2")])
    result = resending.resend(rows)
    assert within == [] and len(refused_at) == 1
    assert (result.sent, result.failed) == (5, 1)
    hits = [request.path for request, _response in httpserver.log]
    assert hits.count("/paused") == 3
    (failed,) = Delivery.objects.filter(status=Delivery.FAILED)
    assert failed.to_addresses == [paused] and "status 429" in failed.error
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 5


# -- in the background -------------------------------------------------------------------
def test_background_chunks_use_four_connections_and_mark_each_message(email_issue, smtp_server,
                                                                      article, committed):
    from tests.test_tasks import IMMEDIATE

    email_issue.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    email_issue.TASKS = IMMEDIATE
    expected = _members(200)  # on four connections, chunks of at least 80 by default
    with CaptureQueriesContext(connection) as queries, committed():
        ArticleRegistration.published.issue(article)
    assert _received(smtp_server) == expected
    chunk_sizes = list(IssueChunk.objects.order_by("number").values_list("size", flat=True))
    assert chunk_sizes == [80, 80, 40]
    assert smtp_server.connections == 4 * 3
    rows = list(Delivery.objects.all())
    assert sorted(row.to_addresses[0] for row in rows) == expected
    assert {(row.status, row.attempts) for row in rows} == {(Delivery.SENT, 1)}
    assert all(row.sent_at is not None for row in rows)
    # Each message marked on its own, as its connection answered (inside the
    # test's transaction PostgreSQL marks on this connection too).
    marks = [q["sql"] for q in queries.captured_queries if _is_sent_mark(q["sql"])]
    assert len(marks) == 200


# -- the chunk size ------------------------------------------------------------------------
@pytest.mark.parametrize(("total", "lanes", "sizes"), [
    # one connection: a fortieth of the contacts, from 20 to 500
    (10, 1, [10]),
    (300, 1, [20] * 15),
    (1000, 1, [25] * 40),
    (10000, 1, [250] * 40),
    (20001, 1, [500] * 40 + [1]),
    (100000, 1, [500] * 200),
    # N connections: at least 20 per connection; a fortieth × min(N, 4), at most 500 × min(N, 4)
    (60, 2, [40, 20]),
    (1000, 2, [50] * 20),
    (20001, 2, [1000] * 20 + [1]),
    (10, 4, [10]),
    (60, 4, [60]),
    (300, 4, [80] * 3 + [60]),
    (1000, 4, [100] * 10),
    (10000, 4, [1000] * 10),
    (20001, 4, [2000] * 10 + [1]),
    (100000, 4, [2000] * 50),
    (1000, 8, [160] * 6 + [40]),
    (10000, 8, [1000] * 10),
    (100000, 8, [2000] * 50),
    (10000, 64, [1280] * 7 + [1040]),
    (100000, 64, [2000] * 50),
])
def test_default_chunks_follow_the_issue_size_and_the_connections(settings, total, lanes, sizes):
    settings.DJANGO_VOX_CHUNK_SIZE = None
    groups = list(chunks._groups(iter(range(total)), False, lanes))
    assert [len(group) for group in groups] == sizes
    assert [entry for group in groups for entry in group] == list(range(total))


def test_a_chunk_size_setting_wins_and_bulk_is_one_chunk(settings):
    settings.DJANGO_VOX_CHUNK_SIZE = 7
    for lanes_ in (1, 4):
        assert [len(g) for g in chunks._groups(iter(range(20)), False, lanes_)] == [7, 7, 6]
        assert [len(g) for g in chunks._groups(iter(range(200)), True, lanes_)] == [200]


def test_the_connections_that_count_are_the_backends_own(settings):
    settings.DJANGO_VOX_CONCURRENCY = {"locmem": 4}
    assert lanes.lane_count(locmem.Backend) == 4
    assert lanes.lane_count(EmailBackend) == 1
    settings.DJANGO_VOX_CONCURRENCY = 4
    assert lanes.lane_count(EmailBackend) == 4
    assert lanes.lane_count(xmpp.Backend) == 1  # one session per account


@pytest.mark.parametrize(("concurrency", "sizes"), [
    (1, [20] * 15),
    ({"email-html": 4}, [80, 80, 80, 60]),
    ({"locmem": 4}, [20] * 15),  # another backend's connections do not count
])
def test_planning_sizes_chunks_for_the_templates_connections(
        email_issue, smtp_server, article, committed, concurrency, sizes):
    email_issue.DJANGO_VOX_CONCURRENCY = concurrency
    email_issue.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    email_issue.TASKS = DUMMY
    tasks.task_backends["default"].clear()
    _members(300)
    with committed():
        ArticleRegistration.published.issue(article)
    (planning,) = tasks.task_backends["default"].results
    with committed():
        planning.task.call(*planning.args, **planning.kwargs)  # runs the last chunk too
    assert list(IssueChunk.objects.order_by("number").values_list("size", flat=True)) == sizes
    assert len(_received(smtp_server)) == sizes[-1]
