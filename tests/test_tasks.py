"""Background delivery: the issue method, retries, idempotency, recovery.

Tasks run on the Tasks framework's ImmediateBackend (end to end) or its
DummyBackend (to look at what was enqueued, and when, then run it by hand).
Peers are real: aiosmtpd for SMTP, pytest-httpserver for HTTP.
"""

import random
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from werkzeug import Response

from django_vox.backends import locmem
from django_vox.background import tasks
from django_vox.exceptions import PermanentSendError, SendError, TransientSendError
from django_vox.models import Delivery, SiteContact
from django_vox.pacing import retry
from tests.testapp.models import Article, Depot, Subscriber, Ticket
from tests.testapp.registrations import ArticleRegistration, TicketRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.article(with_fixtures=["subscribers"])]
User = get_user_model()

# The framework django_vox.tasks uses: django.tasks on Django 6, else the backport.
FRAMEWORK = "django.tasks" if tasks.task.__module__.startswith("django.tasks") else "django_tasks"
IMMEDIATE = {"default": {"BACKEND": f"{FRAMEWORK}.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
HTTP_BACKENDS = ["django_vox.backends.locmem.Backend",
                 "tests.support.worker_backends.WebhookBackend",
                 "tests.support.worker_backends.SmsBackend"]
EMAIL_BACKENDS = ["django_vox.backends.html_email.Backend"]


@pytest.fixture
def background(settings):
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = IMMEDIATE
    settings.DJANGO_VOX_RETRY_BACKOFF = 30
    return settings


@pytest.fixture
def dummy(background):
    """Tasks are stored, not run: ``dummy()`` lists them."""
    background.TASKS = DUMMY
    tasks.task_backends["default"].clear()
    return lambda: list(tasks.task_backends["default"].results)


def run(result):
    """Run a stored task result's task here, as a worker would."""
    return result.task.call(*result.args, **result.kwargs)


# -- the issue method ---------------------------------------------------------
def test_issue_enqueues_nothing_until_commit(dummy, article, make_template, committed):
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
        assert dummy() == []
    (result,) = dummy()
    from django_vox.models import Notification

    published = Notification.objects.get_for_model(Article, "published")
    *refs, issue_id = result.args
    assert refs == [published.pk, ["testapp", "article", article.pk], None, None]
    assert uuid.UUID(issue_id)
    assert result.task.name == "deliver"
    assert not locmem.outbox
    assert run(result)["sent"] == 3
    assert sorted(m.to[0] for m in locmem.outbox) == [
        "s0@example.org", "s1@example.org", "s2@example.org"]


def test_actor_target_and_uuid_pk_pass_as_references(dummy, article, make_template, committed):
    depot = Depot.objects.create(name="North", email="north@example.org")
    make_template(Article, "moved", recipients="c:author", content="{{ actor }} → {{ target }}")
    with committed():
        ArticleRegistration.moved.issue(article, actor=article.author, target=depot)
    (result,) = dummy()
    assert list(result.args[1:4]) == [["testapp", "article", article.pk],
                                     ["auth", "user", article.author.pk],
                                     ["testapp", "depot", depot.pk]]
    run(result)
    assert [m.body for m in locmem.outbox] == ["ann → North"]

    ticket = Ticket.objects.create(title="T", owner=Subscriber.objects.first())
    make_template(Ticket, "opened", recipients="c:owner", content="{{ object.title }}")
    with committed():
        TicketRegistration.opened.issue(ticket)
    result = dummy()[-1]
    assert result.args[1] == ["testapp", "ticket", str(ticket.pk)]
    run(result)
    assert locmem.outbox[-1].to == ["s0@example.org"]


def test_deliver_run_again_sends_only_to_contacts_not_yet_logged(dummy, article, make_template,
                                                                 committed):
    from django_vox.models import BackgroundIssue, IssueChunk

    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    (result,) = dummy()
    run(result)
    assert len(locmem.outbox) == 3
    record = BackgroundIssue.objects.get()
    assert (record.state, record.chunks_planned) == (BackgroundIssue.DONE, 1)
    # As if the worker died after logging and sending s0 only: its chunk is left running.
    Delivery.objects.exclude(to_addresses=["s0@example.org"]).delete()
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.update(updated_at=long_ago)
    IssueChunk.objects.update(state=IssueChunk.RUNNING, updated_at=long_ago)
    BackgroundIssue.objects.update(state=BackgroundIssue.RUNNING)
    locmem.outbox.clear()
    assert run(result) == {"issue_id": str(record.pk), "state": "running"}  # planned once
    assert locmem.outbox == []
    assert tasks.recover_issues(in_background=False) == {"issues": 0, "chunks": 1}
    assert sorted(m.to[0] for m in locmem.outbox) == ["s1@example.org", "s2@example.org"]
    assert tasks.recover_issues(in_background=False) == {"issues": 0, "chunks": 0}
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 3
    assert len({row.issue_id for row in Delivery.objects.all()}) == 1
    assert IssueChunk.objects.get().attempts == 2
    assert BackgroundIssue.objects.get().state == BackgroundIssue.DONE


def test_immediate_backend_end_to_end(background, article, make_template, committed):
    make_template(Article, "published", recipients="c:subs,c:author", subject="{{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sorted(m.to[0] for m in locmem.outbox) == [
        "ann@example.org", "s0@example.org", "s1@example.org", "s2@example.org"]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.SENT, 1)}


def test_issue_checks_actor_and_required_at_issue_time(dummy, article, make_template):
    from django_vox.issuing import IssueError

    with pytest.raises(IssueError, match="edited"):
        ArticleRegistration.edited.issue(article)  # declares an actor
    with pytest.raises(RuntimeError, match="urgent"):
        ArticleRegistration.urgent.issue(article)  # required, no template
    assert dummy() == []


def test_deleted_object_is_skipped_with_a_warning(dummy, article, make_template, committed,
                                                  caplog):
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    Article.objects.filter(pk=article.pk).delete()
    (result,) = dummy()
    assert "skipped" in run(result)
    assert not locmem.outbox and "skipped" in caplog.text


def test_unsaved_object_is_refused(background):
    with pytest.raises(ValueError, match="saved model instances"):
        tasks.model_ref(Article(title="unsaved"))


calls = []


def recording_issue_method(notification, obj, *, actor=None, target=None):
    calls.append((notification.codename, obj, actor, target))
    return "custom"


def test_4x_escape_hatch_any_dotted_function(settings, article, make_template):
    settings.DJANGO_VOX_ISSUE_METHOD = "tests.test_tasks.recording_issue_method"
    depot = Depot.objects.create(name="North")
    calls.clear()
    assert ArticleRegistration.moved.issue(article, actor=article.author, target=depot) == "custom"
    assert calls == [("moved", article, article.author, depot)]
    assert not locmem.outbox and not Delivery.objects.exists()


# -- classification -------------------------------------------------------------
@pytest.mark.parametrize(("error", "transient"), [
    (TransientSendError("x", status=503), True),
    (PermanentSendError("x", status=400), False),
    (SendError("x", status=429, transient=True), True),
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (ZeroDivisionError(), False),
])
def test_is_transient(error, transient):
    assert retry.is_transient(error) is transient


def _deliver_first(dummy):
    results = dummy()
    run(results[0])
    return results


@pytest.mark.parametrize(("answer", "retried"), [
    ("451 4.3.0 Try again later", True),
    ("550 5.1.1 No such user", False),
])
def test_smtp_4xx_is_retried_5xx_fails_at_once(dummy, settings, smtp_server, smtp_settings,
                                              article, make_template, committed, answer,
                                              retried):
    settings.DJANGO_VOX_BACKENDS = EMAIL_BACKENDS
    make_template(Article, "published", backend="email-html", recipients="c:author",
                  subject="S", content="<p>Hi</p>")
    smtp_server.data_response = answer
    with committed():
        ArticleRegistration.published.issue(article)
        before = timezone.now()
    with committed():
        _deliver_first(dummy)
    row = Delivery.objects.get()
    assert row.attempts == 1 and answer[:3] in row.error
    if retried:
        assert row.status == Delivery.QUEUED
        delay = row.next_attempt_at - before
        assert timedelta(seconds=30 * 0.75) - timedelta(seconds=1) <= delay <= timedelta(
            seconds=31)
        retry_result = dummy()[-1]
        assert retry_result.task.name == "send_due"
        assert retry_result.args[0] == {str(row.pk): 1}
        assert retry_result.task.run_after == row.next_attempt_at
        smtp_server.data_response = None
        with committed():
            run(retry_result)
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == (Delivery.SENT, 2, None)
        assert len(smtp_server.messages) == 1
    else:
        assert (row.status, row.next_attempt_at) == (Delivery.FAILED, None)
        assert len(dummy()) == 1  # no retry task
        assert smtp_server.messages == []


@pytest.fixture
def webhook(settings, httpserver):
    settings.DJANGO_VOX_BACKENDS = HTTP_BACKENDS
    SiteContact.objects.create(name="hook", protocol="json-webhook",
                               address=httpserver.url_for("/hook"))
    return httpserver


def _answers(httpserver, path, *statuses):
    """Answer ``path`` with ``statuses`` in turn (the last one from then on)."""
    received = []

    def handler(request):
        received.append(request.get_json())
        status = statuses[min(len(received), len(statuses)) - 1]
        return Response("{}" if status < 400 else "busy", status=status)

    httpserver.expect_request(path, method="POST").respond_with_handler(handler)
    return received


@pytest.mark.parametrize(("status", "retried"), [(429, True), (500, True), (503, True),
                                                 (400, False), (404, False)])
def test_http_status_classification(dummy, webhook, article, make_template, committed,
                                    status, retried):
    received = _answers(webhook, "/hook", status)
    make_template(Article, "published", backend="test-webhook", recipients="si",
                  content="{{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    with committed():
        _deliver_first(dummy)
    row = Delivery.objects.get()
    assert len(received) == 1 and f"status {status}" in row.error
    assert row.status == (Delivery.QUEUED if retried else Delivery.FAILED)
    assert len(dummy()) == (2 if retried else 1)


def test_webhook_500_twice_then_200_is_delivered_once(background, webhook, article,
                                                      make_template, committed):
    received = _answers(webhook, "/hook", 500, 500, 200)
    make_template(Article, "published", backend="test-webhook", recipients="si",
                  subject="S", content="{{ object.title }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert received == [{"subject": "S", "text": "Hello"}] * 3
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.error) == (Delivery.SENT, 3, "")


def test_gives_up_after_max_attempts(background, webhook, article, make_template, committed):
    background.DJANGO_VOX_MAX_ATTEMPTS = 3
    received = _answers(webhook, "/hook", 503)
    make_template(Article, "published", backend="test-webhook", recipients="si")
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(received) == 3
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (Delivery.FAILED, 3, None)
    assert "status 503" in row.error and "busy" in row.error


def test_twilio_like_429_is_retried(background, settings, httpserver, article, make_template,
                                    committed):
    settings.DJANGO_VOX_BACKENDS = HTTP_BACKENDS
    settings.DJANGO_VOX_TWILIO_API_BASE = httpserver.url_for("/")
    received = []

    def handler(request):
        received.append(request.form["To"])
        if received.count(request.form["To"]) == 1:
            return Response('{"code": 20429}', status=429)
        return Response('{"sid": "SM1"}', status=201)

    httpserver.expect_request("/2010-04-01/Accounts/ACtest/Messages.json",
                              method="POST").respond_with_handler(handler)
    make_template(Article, "published", backend="test-sms", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    assert sorted(received) == sorted(["+15550000000", "+15550000001", "+15550000002"] * 2)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.SENT, 2)}


# -- backoff ------------------------------------------------------------------------
def test_backoff_doubles_with_jitter_and_a_cap(settings):
    settings.DJANGO_VOX_RETRY_BACKOFF = 10
    rng = random.Random(7)
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160)]:
        delays = [retry.backoff_delay(attempts, rng=rng).total_seconds() for _ in range(200)]
        assert all(full * (1 - retry.JITTER) <= d <= full for d in delays)
        assert len(set(delays)) > 150  # jittered, not one value
    assert retry.backoff_delay(60) <= retry.MAX_DELAY


def test_max_attempts_setting_is_checked(settings):
    settings.DJANGO_VOX_MAX_ATTEMPTS = "many"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_MAX_ATTEMPTS"):
        retry.max_attempts()


# -- idempotency --------------------------------------------------------------------
def _failed_row(article, make_template, committed, dummy, httpserver, status=503):
    _answers(httpserver, "/hook", status)
    make_template(Article, "published", backend="test-webhook", recipients="si")
    with committed():
        ArticleRegistration.published.issue(article)
    with committed():
        _deliver_first(dummy)
    return Delivery.objects.get()


def test_duplicate_retry_task_sends_once(dummy, webhook, article, make_template, committed):
    row = _failed_row(article, make_template, committed, dummy, webhook)
    webhook.clear_all_handlers()
    received = _answers(webhook, "/hook", 200)
    retry_result = dummy()[-1]
    with committed():
        assert run(retry_result) == {"sent": 1, "not_sent": 0}
        assert run(retry_result) == {"sent": 0, "not_sent": 0}  # attempts moved on
    assert len(received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.SENT, 2)
    assert tasks.resend([row]) == {"sent": 0, "failed": 0, "skipped": 1}
    assert len(received) == 1


def test_claim_is_won_once(dummy, webhook, article, make_template, committed):
    from django_vox.issuing.resending import claim

    row = _failed_row(article, make_template, committed, dummy, webhook)
    stale_copy = Delivery.objects.get(pk=row.pk)
    assert [r.pk for r in claim([row])] == [row.pk]
    assert claim([stale_copy]) == []  # being sent by the first claimer
    assert claim([Delivery.objects.get(pk=row.pk)]) == []


def test_recover_sends_rows_a_killed_worker_left(background, article, make_template, settings):
    make_template(Article, "published", recipients="c:subs")
    long_ago = timezone.now() - timedelta(hours=1)
    kw = {"backend": "locmem", "protocol": "email", "message": {"subject": "", "text": "Hi"}}
    abandoned = Delivery.objects.create(to_addresses=["a@example.org"], **kw)
    in_flight = Delivery.objects.create(to_addresses=["b@example.org"], **kw)
    overdue_retry = Delivery.objects.create(to_addresses=["c@example.org"], attempts=1,
                                            next_attempt_at=long_ago, **kw)
    Delivery.objects.filter(pk__in=[abandoned.pk, overdue_retry.pk]).update(updated_at=long_ago)
    assert tasks.recover(in_background=False) == 2
    assert sorted(m.to[0] for m in locmem.outbox) == ["a@example.org", "c@example.org"]
    assert Delivery.objects.get(pk=in_flight.pk).status == Delivery.QUEUED
    assert tasks.recover(in_background=False) == 0
    assert len(locmem.outbox) == 2
    # Through the task backend (ImmediateBackend runs the retry task at once).
    Delivery.objects.filter(pk=in_flight.pk).update(updated_at=long_ago)
    assert tasks.recover() == 1
    assert sorted(m.to[0] for m in locmem.outbox) == ["a@example.org", "b@example.org",
                                                      "c@example.org"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_resend_in_background(background, webhook, article, make_template, committed):
    _answers(webhook, "/hook", 400)
    make_template(Article, "published", backend="test-webhook", recipients="si")
    with committed():
        ArticleRegistration.published.issue(article)
    row = Delivery.objects.get(status=Delivery.FAILED)
    webhook.clear_all_handlers()
    received = _answers(webhook, "/hook", 200)
    with committed():
        assert tasks.resend([row], in_background=True) == {"queued": 1, "skipped": 0}
    assert len(received) == 1
    assert Delivery.objects.get().status == Delivery.SENT
