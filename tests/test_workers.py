"""Real worker processes under load and faults (``make test-postgres``).

Each test asserts, on the receiving peer, that every expected message arrived
exactly once (or is recorded failed with its error): never lost, never doubled.
"""

import collections
import json
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from werkzeug import Response

from django_vox.models import Delivery, SiteContact
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.workers import wait_until
from tests.testapp.models import Article, Subscriber

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


class Peer:
    """Counts what an HTTP peer accepted, per (path, text); answers per a plan."""

    def __init__(self, httpserver, plan=None):
        self.accepted = collections.Counter()
        self.requests = collections.Counter()
        self.plan = plan or (lambda key, n: 200)
        self.lock = threading.Lock()
        httpserver.expect_request("/", method="POST").respond_with_handler(self.handle)
        self.server = httpserver

    def handle(self, request):
        body = request.get_json(silent=True) or dict(request.form)
        where = request.path + (f"#{body['To']}" if "To" in body else "")
        key = (where, body.get("text") or body.get("Body"))
        with self.lock:
            self.requests[key] += 1
            status = self.plan(key, self.requests[key])
            if status < 300:
                self.accepted[key] += 1
        return Response("{}" if status < 300 else "try later", status=status)


@pytest.fixture
def peer_server(httpserver):
    # Any path: the hooks are /hook/<n>.
    from pytest_httpserver import URIPattern

    class Any(URIPattern):
        def match(self, uri):
            return True

    class Wrapper:
        def __init__(self):
            self.url_for = httpserver.url_for

        def expect_request(self, _path, method):
            return httpserver.expect_request(Any(), method=method)

    return Wrapper()


def make_hooks(server, count, protocol="json-webhook"):
    SiteContact.objects.bulk_create(
        SiteContact(name=f"hook {i}", protocol=protocol, address=server.url_for(f"/hook/{i}"))
        for i in range(count))


def make_articles(count):
    user = get_user_model().objects.create(username="author", email="author@example.org")
    return [Article.objects.create(author=user, title=f"A{i}") for i in range(count)]


def template(backend, recipients="si", **fields):
    from django_vox.models import Notification, Template

    notification = Notification.objects.get_for_model(Article, "published")
    return Template.objects.create(notification=notification, backend=backend,
                                   recipients=recipients, content="{{ object.pk }}", **fields)


def all_settled(expected):
    statuses = collections.Counter(Delivery.objects.values_list("status", flat=True))
    return sum(statuses.values()) == expected and statuses[Delivery.QUEUED] == 0


def test_load_two_db_workers_2000_deliveries_each_once(workers, peer_server):
    peer = Peer(peer_server)
    make_hooks(peer_server, 50)
    articles = make_articles(40)
    template("test-webhook")
    first, second = workers.start("db"), workers.start("db")
    workers.issue("published", [a.pk for a in articles], threads=4)
    wait_until(lambda: all_settled(2000), timeout=240, what="2,000 deliveries sent")
    expected = {(f"/hook/{i}", str(a.pk)) for i in range(50) for a in articles}
    assert set(peer.accepted) == expected
    assert set(peer.accepted.values()) == {1}, "a message was delivered twice"
    assert set(peer.requests.values()) == {1}
    assert Delivery.objects.filter(status=Delivery.SENT, attempts=1).count() == 2000
    assert first.poll() is None and second.poll() is None, workers.logs()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_ids FROM django_tasks_database_dbtaskresult")
        ran = {worker for (ids,) in cursor.fetchall()
               for worker in (json.loads(ids) if isinstance(ids, str) else ids)}
    assert {"db-1", "db-2"} <= ran, "both workers should have taken tasks"


def test_webhook_500_twice_then_200(workers, peer_server):
    peer = Peer(peer_server, plan=lambda key, n: 500 if n <= 2 else 200)
    make_hooks(peer_server, 10)
    (article,) = make_articles(1)
    template("test-webhook")
    workers.start("db"), workers.start("db")
    workers.issue("published", [article.pk], threads=1)
    wait_until(lambda: all_settled(10), what="retries to succeed")
    assert set(peer.accepted.values()) == {1} and len(peer.accepted) == 10
    assert set(peer.requests.values()) == {3}
    assert set(Delivery.objects.values_list("status", "attempts", "error")) == {
        (Delivery.SENT, 3, "")}


def test_webhook_that_never_recovers_is_recorded_failed(workers, peer_server):
    workers.configure(VOX_WORKER_MAX_ATTEMPTS=3)
    peer = Peer(peer_server, plan=lambda key, n: 503)
    make_hooks(peer_server, 3)
    (article,) = make_articles(1)
    template("test-webhook")
    workers.start("db")
    workers.issue("published", [article.pk], threads=1)
    wait_until(lambda: all_settled(3), what="deliveries to be given up")
    assert not peer.accepted and set(peer.requests.values()) == {3}
    for row in Delivery.objects.all():
        assert (row.status, row.attempts) == (Delivery.FAILED, 3)
        assert "status 503" in row.error and "try later" in row.error


def test_rq_worker_twilio_429_then_accepted(workers, peer_server, settings):
    peer = Peer(peer_server, plan=lambda key, n: 429 if n == 1 else 201)
    workers.configure(VOX_WORKER_TWILIO_BASE=peer_server.url_for("/twilio"))
    for i in range(20):
        Subscriber.objects.create(name=f"S{i}", email=f"s{i}@example.org", phone=f"+1555000{i:04d}")
    articles = make_articles(5)
    template("test-sms", recipients="c:subs")
    workers.start("rq")
    workers.issue("published", [a.pk for a in articles], threads=3, tasks="rq")
    wait_until(lambda: all_settled(100), what="SMS retries through RQ")
    assert len(peer.accepted) == 100 and set(peer.accepted.values()) == {1}
    assert set(peer.requests.values()) == {2}
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.SENT, 2)}


def test_smtp_server_down_then_up(workers):
    smtp = SmtpServer()  # not started: connections are refused
    workers.configure(VOX_WORKER_SMTP_PORT=smtp.port, VOX_WORKER_BACKOFF=1)
    for i in range(5):
        Subscriber.objects.create(name=f"S{i}", email=f"s{i}@example.org")
    (article,) = make_articles(1)
    template("email-html", recipients="c:subs", subject="News")
    workers.start("db")
    workers.issue("published", [article.pk], threads=1)
    try:
        wait_until(lambda: Delivery.objects.filter(status=Delivery.QUEUED, attempts__gte=1)
                   .count() == 5, what="the first attempts to fail")
        assert all("refused" in row.error.lower() or "connect" in row.error.lower()
                   for row in Delivery.objects.all())
        smtp.start()
        wait_until(lambda: all_settled(5), what="the retries after the server came up")
        assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
            f"s{i}@example.org" for i in range(5)]
        assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}
    finally:
        smtp.stop()


def test_two_db_workers_with_four_connections_each(workers):
    """DJANGO_VOX_CONCURRENCY = 4 and the default chunks (at least 20 per
    connection): 200 subscribers are three chunks (80, 80, 40), each sent over
    four SMTP connections; every message arrives once and every delivery is
    marked sent on its first attempt."""
    from django_vox.models import IssueChunk

    smtp = SmtpServer()
    smtp.start()
    workers.configure(VOX_WORKER_SMTP_PORT=smtp.port, VOX_WORKER_CONCURRENCY=4)
    try:
        Subscriber.objects.bulk_create(Subscriber(name=f"S{i}", email=f"s{i}@example.org")
                                       for i in range(200))
        (article,) = make_articles(1)
        template("email-html", recipients="c:subs", subject="News")
        workers.start("db"), workers.start("db")
        workers.issue("published", [article.pk], threads=1)
        wait_until(lambda: all_settled(200), timeout=240, what="200 deliveries sent")
        received = collections.Counter(e.rcpt_tos[0] for e in smtp.envelopes)
        assert set(received) == {f"s{i}@example.org" for i in range(200)}
        assert set(received.values()) == {1}, "a message was delivered twice"
        assert sorted(IssueChunk.objects.values_list("size", flat=True)) == [40, 80, 80]
        assert smtp.connections == 4 * IssueChunk.objects.count() == 12
        assert Delivery.objects.filter(status=Delivery.SENT, attempts=1,
                                       sent_at__isnull=False).count() == 200
    finally:
        smtp.stop()


def test_a_failing_connection_of_a_worker_is_retried_once_each(workers):
    """The receiver refuses every message on its third connection (451): the
    worker records those deliveries for a retry, the retry sends each once."""
    smtp = SmtpServer()
    smtp.connection_data_responses[3] = "451 4.3.0 This connection is unwell"
    smtp.start()
    workers.configure(VOX_WORKER_SMTP_PORT=smtp.port, VOX_WORKER_CONCURRENCY=4,
                      VOX_WORKER_BACKOFF=0.5)
    try:
        Subscriber.objects.bulk_create(Subscriber(name=f"S{i}", email=f"s{i}@example.org")
                                       for i in range(40))
        (article,) = make_articles(1)
        template("email-html", recipients="c:subs", subject="News")
        workers.start("db")
        workers.issue("published", [article.pk], threads=1)
        wait_until(lambda: all_settled(40), timeout=240, what="40 deliveries sent")
        received = collections.Counter(e.rcpt_tos[0] for e in smtp.envelopes)
        assert set(received) == {f"s{i}@example.org" for i in range(40)}
        assert set(received.values()) == {1}, "a message was delivered twice"
        retried = Delivery.objects.filter(attempts=2)
        assert retried.exists() and set(retried.values_list("status", flat=True)) == {
            Delivery.SENT}
        assert Delivery.objects.filter(status=Delivery.SENT).count() == 40
    finally:
        smtp.stop()


def test_worker_killed_mid_issue_then_recovered(workers, peer_server, tmp_path):
    peer = Peer(peer_server)
    make_hooks(peer_server, 20)
    (article,) = make_articles(1)
    template("pausing-webhook")
    marker = tmp_path / "paused"
    doomed = workers.start("db", name="doomed", VOX_PAUSE_AFTER=7, VOX_PAUSE_FILE=marker)
    workers.issue("published", [article.pk], threads=1)
    wait_until(marker.exists, what="the worker to reach the middle of the issue")
    workers.kill(doomed)
    assert sum(peer.accepted.values()) == 7
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 7
    assert Delivery.objects.filter(status=Delivery.QUEUED).count() == 13

    workers.start("db", name="restarted")
    out = workers.manage("vox_recover", "--older-than", "0")
    assert "Queued 0 unfinished issue plan(s) and 1 unfinished chunk(s)." in out
    assert "Queued 13 abandoned deliveries" in out
    wait_until(lambda: all_settled(20), what="the recovered deliveries")
    assert len(peer.accepted) == 20 and set(peer.accepted.values()) == {1}
    # Running recovery again finds nothing left to do.
    assert workers.manage("vox_recover", "--older-than", "0") == (
        "Queued 0 unfinished issue plan(s) and 0 unfinished chunk(s).\n"
        "Queued 0 abandoned deliveries.\n")
    assert Path(marker).read_text() == str(doomed.pid)


def test_worker_killed_in_the_first_batch_of_2000_customers(workers, peer_server):
    """Two db_workers share one 2,000-recipient issue (two chunks); one is
    SIGKILLed part-way through its first batch.  After vox_recover every
    customer has exactly one message, whatever django-tasks-db thinks of the
    killed task (it stays RUNNING)."""
    from django.db import connection

    from django_vox.models import BackgroundIssue, IssueChunk

    peer = Peer(peer_server)
    workers.configure(VOX_WORKER_TWILIO_BASE=peer_server.url_for("/twilio"),
                      VOX_WORKER_CHUNK_SIZE=1000)
    Subscriber.objects.bulk_create(
        Subscriber(name=f"C{i}", email=f"c{i}@example.org", phone=f"+1555{i:07d}")
        for i in range(2000))
    (article,) = make_articles(1)
    template("pausing-sms", recipients="c:subs")
    marker = workers.tmp_path / "paused"
    doomed = workers.start("db", name="killed-in-batch", VOX_PAUSE_AFTER=150,
                           VOX_PAUSE_FILE=marker)
    workers.start("db", name="healthy")
    workers.issue("published", [article.pk], threads=1)
    wait_until(marker.exists, what="the doomed worker to be part-way through its first batch")
    workers.kill(doomed)
    # The other worker finishes its own chunk; the killed one's stays "running".
    wait_until(lambda: IssueChunk.objects.filter(state=IssueChunk.DONE).count() == 1,
               timeout=240, what="the healthy worker's chunk")
    assert IssueChunk.objects.filter(state=IssueChunk.RUNNING).count() == 1
    assert sum(peer.accepted.values()) == 1150
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM django_tasks_database_dbtaskresult "
                       "WHERE worker_ids::text LIKE %s", ["%killed-in-batch%"])
        assert [status for (status,) in cursor.fetchall()] == ["RUNNING"]

    out = workers.manage("vox_recover", "--older-than", "0")
    assert "1 unfinished chunk(s)" in out and "Queued 850 abandoned deliveries" in out
    wait_until(lambda: all_settled(2000), timeout=240, what="the recovered deliveries")
    expected = {(f"/twilio/2010-04-01/Accounts/ACtest/Messages.json#+1555{i:07d}",
                 str(article.pk)) for i in range(2000)}
    assert set(peer.accepted) == expected, "a customer got no message"
    assert set(peer.accepted.values()) == {1}, "a customer got two messages"
    wait_until(lambda: BackgroundIssue.objects.get().state == BackgroundIssue.DONE,
               what="the issue to be marked done")
    assert "Queued 0 unfinished issue plan(s) and 0 unfinished chunk(s)" in workers.manage(
        "vox_recover", "--older-than", "0")



def test_worker_killed_while_its_four_connections_send(workers):
    """DJANGO_VOX_CONCURRENCY = 4: one db_worker sends a 200-recipient chunk
    over four SMTP connections.  After 40 messages the receiver keeps each
    message but holds its answer, so every connection has one message taken
    and not acknowledged when the worker is SIGKILLed.  The guarantee
    (docs/background.rst, "Sending once"): after vox_recover every recipient
    has the message, at most one message per connection (the one it was
    sending) arrives twice, and the log holds every recipient, sent."""
    from django_vox.models import BackgroundIssue

    smtp = SmtpServer()
    smtp.hold_after = 40
    smtp.start()
    # The held connections wait for the kill, not for a client timeout.
    workers.configure(VOX_WORKER_SMTP_PORT=smtp.port, VOX_WORKER_CONCURRENCY=4,
                      VOX_WORKER_CHUNK_SIZE=200, VOX_WORKER_SMTP_TIMEOUT=600)
    try:
        everyone = {f"s{i}@example.org" for i in range(200)}
        Subscriber.objects.bulk_create(Subscriber(name=address, email=address)
                                       for address in everyone)
        (article,) = make_articles(1)
        template("email-html", recipients="c:subs", subject="News")
        doomed = workers.start("db", name="four-lanes")
        workers.issue("published", [article.pk], threads=1)
        wait_until(lambda: len(smtp.held) == 4, timeout=240,
                   what="all four connections to wait for the receiver's answer")
        workers.kill(doomed)
        in_flight = {envelope.rcpt_tos[0]: envelope.connection for envelope in smtp.held}
        assert smtp.connections == 4 and sorted(in_flight.values()) == [1, 2, 3, 4]
        # Every answered message is marked sent; the four in flight wait, queued.
        wait_until(lambda: Delivery.objects.filter(status=Delivery.SENT).count() == 40,
                   what="the marks of the 40 answered messages")
        queued = {to for (to,) in Delivery.objects.filter(status=Delivery.QUEUED)
                  .values_list("to_addresses", flat=True)}
        assert len(queued) == 160 and set(in_flight) <= queued

        smtp.release()
        out = workers.manage("vox_recover", "--older-than", "0")
        assert "Queued 0 unfinished issue plan(s) and 1 unfinished chunk(s)." in out
        assert "Queued 160 abandoned deliveries" in out
        workers.start("db", name="after-the-kill")
        wait_until(lambda: all_settled(200), timeout=240, what="the recovered deliveries")
        received = collections.Counter(envelope.rcpt_tos[0] for envelope in smtp.envelopes)
        assert set(received) == everyone, "a recipient got no message"
        doubled = {address for address, count in received.items() if count > 1}
        assert set(received.values()) <= {1, 2}
        # At most one per connection of the killed worker: exactly the one it was sending.
        assert len({in_flight.get(address) for address in doubled}) == len(doubled) <= 4
        assert doubled == set(in_flight)
        assert sorted(to for (to,) in Delivery.objects.values_list("to_addresses", flat=True)
                      ) == sorted(everyone)
        assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}
        wait_until(lambda: BackgroundIssue.objects.get().state == BackgroundIssue.DONE,
                   what="the issue to be marked done")
        assert "Queued 0 unfinished issue plan(s) and 0 unfinished chunk(s)" in workers.manage(
            "vox_recover", "--older-than", "0")
    finally:
        smtp.stop()

def _restart_prosody(server):
    """Start a stopped ProsodyServer again on its port, with its data (offline messages)."""
    import socket
    import subprocess

    from tests.fixtures.xmpp import PROSODY

    with open(server.directory / "stderr.log", "ab") as stderr:
        server.process = subprocess.Popen([PROSODY, "--config", str(server.config), "-F"],
                                          stdout=subprocess.DEVNULL, stderr=stderr)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_until(listening, timeout=30, what="Prosody to listen again")


def _read_in_thread(server, user, expected):
    """read_messages runs its own event loop: keep it off this thread, where
    another test's library (Playwright) may have left one running."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(server.read_messages, user, expected, 15).result()


def test_xmpp_server_stopped_mid_issue(workers, tmp_path):
    import importlib.util

    if importlib.util.find_spec("aioxmpp") is None:
        pytest.fail('The XMPP worker test needs aioxmpp: pip install -e ".[test]"')
    from tests.fixtures.xmpp import ProsodyServer, free_port

    (tmp_path / "prosody").mkdir()
    server = ProsodyServer(tmp_path / "prosody", free_port())
    server.start()
    try:
        workers.configure(VOX_WORKER_XMPP_JID=server.jid("sender"),
                          VOX_WORKER_XMPP_PASSWORD=server.accounts["sender"],
                          VOX_WORKER_XMPP_SERVER=server.address, VOX_WORKER_BACKOFF=1)
        for user in ("alice", "bob"):
            SiteContact.objects.create(name=user, protocol="xmpp", address=server.jid(user))
        articles = make_articles(6)
        template("pausing-xmpp")
        paused, resume = tmp_path / "paused", tmp_path / "resume"
        workers.start("db", VOX_PAUSE_AFTER=5, VOX_PAUSE_FILE=paused, VOX_RESUME_FILE=resume)
        workers.issue("published", [a.pk for a in articles], threads=2)
        wait_until(paused.exists, what="the worker to be half-way through")
        server.stop()
        resume.touch()
        wait_until(lambda: Delivery.objects.filter(status=Delivery.QUEUED, attempts__gte=1)
                   .exists(), what="a send to the stopped server to fail")
        assert Delivery.objects.filter(status=Delivery.SENT).count() == 5
        _restart_prosody(server)
        wait_until(lambda: all_settled(12), timeout=120, what="the retries to XMPP")
        assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}
        expected = sorted(str(a.pk) for a in articles)
        for user in ("alice", "bob"):
            bodies = sorted(body for frm, body in _read_in_thread(server, user, 6)
                            if frm == server.jid("sender"))
            assert bodies == expected, f"{user} got {bodies}"
    finally:
        server.stop()
