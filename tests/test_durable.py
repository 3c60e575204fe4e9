"""Nothing lost, nothing sent against a choice (issue 19): background issues
written before they fan out and sent in chunks, per-contact rendering,
preferences asked again on every resend, configuration errors raised."""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from django_vox import deliverylog
from django_vox.backends import locmem
from django_vox.background import chunks, tasks
from django_vox.issuing import resending
from django_vox.models import BackgroundIssue, Delivery, IssueChunk, Notification
from django_vox.preferences import Owner, set_preference
from tests.test_tasks import DUMMY, IMMEDIATE, run
from tests.testapp.models import Article, Subscriber
from tests.testapp.registrations import ArticleRegistration

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(hours=1)


class MisconfiguredBackend(locmem.Backend):
    """Opening it finds the configuration wrong, as a real backend's open() can."""

    ID = "misconfigured"

    def open(self):
        raise ImproperlyConfigured("DJANGO_VOX_EXAMPLE_TOKEN is not set.")


@pytest.fixture
def dummy(settings):
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = DUMMY
    tasks.task_backends["default"].clear()
    return lambda: list(tasks.task_backends["default"].results)


@pytest.fixture
def article(db, django_user_model):
    ann = django_user_model.objects.create(username="ann", email="ann@example.org")
    return Article.objects.create(author=ann, title="Hello")


def subscribers(*names):
    return [Subscriber.objects.create(name=name, email=f"{name.split()[0].lower()}@example.org")
            for name in names]


@pytest.fixture
def work(committed):
    """``work(result)`` runs a stored task as a worker would: in autocommit, so
    what it enqueues on commit is enqueued when it returns."""

    def run_task(result):
        with committed():
            return run(result)

    return run_task


@pytest.fixture
def drain(dummy, work):
    """Run every stored task not run yet, as workers would, until none is left."""

    def run_all(seen=0):
        results = dummy()
        while seen < len(results):
            work(results[seen])
            seen += 1
            results = dummy()
        return seen

    return run_all


def outbox_addresses():
    return sorted(m.to[0] for m in locmem.outbox)


# -- chunks -------------------------------------------------------------------------
def test_background_issue_is_a_row_then_chunks_any_worker_can_take(dummy, work, drain, settings, article,
                                                                  make_template, committed):
    settings.DJANGO_VOX_CHUNK_SIZE = 2
    subscribers("A a", "B b", "C c", "D d", "E e")
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    (planning,) = dummy()
    assert not BackgroundIssue.objects.exists()  # written when the task starts
    result = work(planning)
    record = BackgroundIssue.objects.get()
    assert result == {"issue_id": str(record.pk), "sent": 1, "failed": 0}
    assert (record.state, record.chunks_planned) == (BackgroundIssue.RUNNING, 3)
    assert record.object_ref == ["testapp", "article", article.pk]
    assert [(c.number, c.size, c.state) for c in IssueChunk.objects.all()] == [
        (0, 2, "pending"), (1, 2, "pending"), (2, 1, "done")]  # the last ran in the planner
    chunk_tasks = dummy()[1:]
    assert [(t.task.name, t.args) for t in chunk_tasks] == [
        ("send_chunk", [c.pk]) for c in IssueChunk.objects.filter(number__lt=2)]
    assert chunks.progress([record])[record.pk] == {"sent": 1, "failed": 0, "queued": 0,
                                                     "suppressed": 0}
    assert work(chunk_tasks[1]) == {"sent": 2, "failed": 0, "suppressed": 0, "chunk": 1}
    assert work(chunk_tasks[1]) == {"skipped": "taken or done"}  # a duplicate task
    work(chunk_tasks[0])
    assert outbox_addresses() == ["a@example.org", "b@example.org", "c@example.org",
                                  "d@example.org", "e@example.org"]
    record.refresh_from_db()
    assert record.state == BackgroundIssue.DONE and record.finished_at is not None
    assert {row.issue_id for row in Delivery.objects.all()} == {record.pk}
    assert work(planning) == {"issue_id": str(record.pk), "state": "done"}  # planned once


def test_planner_killed_half_way_is_planned_again_without_doubles(dummy, work, drain, settings, article,
                                                                  make_template, committed,
                                                                  monkeypatch):
    settings.DJANGO_VOX_CHUNK_SIZE = 2
    subscribers("A a", "B b", "C c", "D d", "E e")
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    real_write = chunks._write_chunk

    def dies_at_the_second(record, attempt, number, *args):
        if number == 1:
            raise KeyboardInterrupt  # stands for SIGKILL: nothing after this runs
        return real_write(record, attempt, number, *args)

    monkeypatch.setattr(chunks, "_write_chunk", dies_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        work(dummy()[0])
    monkeypatch.undo()
    record = BackgroundIssue.objects.get()
    assert (record.state, record.chunks_planned) == (BackgroundIssue.PLANNING, 1)
    assert locmem.outbox == [] and len(dummy()) == 1  # chunk 0 was held for the next one
    assert tasks.recover_issues() == {"issues": 0, "chunks": 0}  # not stale yet
    later = timezone.now() + LONG_AGO
    assert tasks.recover_issues(now=later) == {"issues": 1, "chunks": 1}
    drain(1)
    assert outbox_addresses() == ["a@example.org", "b@example.org", "c@example.org",
                                  "d@example.org", "e@example.org"]
    assert sorted(IssueChunk.objects.values_list("number", "size", "state")) == [
        (0, 2, "done"), (1, 2, "done"), (2, 1, "done")]
    record.refresh_from_db()
    assert (record.state, record.plan_attempts) == (BackgroundIssue.DONE, 2)


def test_chunk_killed_after_logging_is_finished_by_recovery_once(dummy, work, drain, settings, article,
                                                                 make_template, committed):
    settings.DJANGO_VOX_CHUNK_SIZE = 2
    subscribers("A a", "B b", "C c")
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    drain()
    first = IssueChunk.objects.get(number=0)
    # As if its worker had logged both rows, sent one, and died.
    Delivery.objects.filter(to_addresses=["b@example.org"]).update(
        status=Delivery.QUEUED, attempts=0, sent_at=None)
    Delivery.objects.filter(to_addresses=["b@example.org"]).update(
        updated_at=timezone.now() - LONG_AGO)
    IssueChunk.objects.filter(pk=first.pk).update(state=IssueChunk.RUNNING,
                                                  updated_at=timezone.now() - LONG_AGO)
    BackgroundIssue.objects.update(state=BackgroundIssue.RUNNING)
    locmem.outbox.clear()
    # A delivery of the chunk touched within --older-than: its worker may be alive
    # (sending slowly, or waiting for a rate limit), so the chunk is left alone.
    Delivery.objects.filter(to_addresses=["a@example.org"]).update(updated_at=timezone.now())
    assert tasks.recover_issues(in_background=False, older_than=timedelta(minutes=15)) == {
        "issues": 0, "chunks": 0}
    Delivery.objects.filter(to_addresses=["a@example.org"]).update(
        updated_at=timezone.now() - LONG_AGO)
    assert tasks.recover_issues(in_background=False) == {"issues": 0, "chunks": 1}
    assert locmem.outbox == []  # both contacts were logged: the chunk sends nobody again
    assert tasks.recover(in_background=False) == 1
    assert outbox_addresses() == ["b@example.org"]
    assert BackgroundIssue.objects.get().state == BackgroundIssue.DONE
    assert tasks.recover(in_background=False) == 0
    assert tasks.recover_issues(in_background=False) == {"issues": 0, "chunks": 0}


def test_lost_chunk_task_is_enqueued_again(dummy, work, drain, settings, article, make_template, committed):
    settings.DJANGO_VOX_CHUNK_SIZE = 1
    subscribers("A a", "B b")
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    work(dummy()[0])
    tasks.task_backends["default"].clear()  # the queue lost the chunk task
    assert tasks.recover_issues(now=timezone.now() + LONG_AGO) == {"issues": 0, "chunks": 1}
    drain()
    assert outbox_addresses() == ["a@example.org", "b@example.org"]


def test_configuration_error_in_a_chunk_raises_and_leaves_it_pending(dummy, work, drain, settings, article,
                                                                     make_template, committed):
    settings.DJANGO_VOX_BACKENDS = [*settings.DJANGO_VOX_BACKENDS,
                                    "tests.test_durable.MisconfiguredBackend"]
    subscribers("A a")
    make_template(Article, "published", backend="misconfigured", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_EXAMPLE_TOKEN"):
        work(dummy()[0])
    chunk = IssueChunk.objects.get()
    assert chunk.state == IssueChunk.PENDING and "DJANGO_VOX_EXAMPLE_TOKEN" in chunk.error
    assert not Delivery.objects.filter(status=Delivery.FAILED).exists()


def test_deleted_recipient_is_left_out_of_its_chunk(dummy, work, drain, settings, article, make_template,
                                                    committed):
    settings.DJANGO_VOX_CHUNK_SIZE = 1
    gone, kept = subscribers("A a", "B b")
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    work(dummy()[0])  # plans two chunks, sends the second
    gone.delete()
    drain(1)
    assert outbox_addresses() == ["b@example.org"]
    assert BackgroundIssue.objects.get().state == BackgroundIssue.DONE


def test_immediate_backend_runs_every_chunk(settings, article, make_template, committed):
    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = IMMEDIATE
    settings.DJANGO_VOX_CHUNK_SIZE = 2
    subscribers("A a", "B b", "C c")
    make_template(Article, "published", recipients="c:subs")
    make_template(Article, "published", recipients="c:subs", bulk=True, subject="all")
    with committed():
        ArticleRegistration.published.issue(article)
    assert len(locmem.outbox) == 4
    assert sorted(len(m.to) for m in locmem.outbox) == [1, 1, 1, 3]
    assert list(IssueChunk.objects.values_list("size", flat=True)) == [2, 1, 3]
    assert BackgroundIssue.objects.get().state == BackgroundIssue.DONE


# -- rendering per contact -------------------------------------------------------------
def test_one_contacts_render_failure_is_theirs_alone(article, make_template, committed,
                                                    caplog):
    subscribers("Ann Lee", "Plato", "Bob Ray")
    template = make_template(Article, "published", recipients="c:subs",
                             content="Dear {{ recipient.surname }}")
    with caplog.at_level(logging.WARNING, logger="django_vox"), committed():
        ArticleRegistration.published.issue(article)
    assert sorted(m.body for m in locmem.outbox) == ["Dear Lee", "Dear Ray"]
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert failed.to_addresses == ["plato@example.org"]
    assert failed.template == template
    assert (f"Rendering template {template.pk} (locmem) for plato@example.org failed: "
            "RuntimeError: 'Plato' has no surname") in failed.error
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 2


def test_template_that_renders_for_nobody_is_recorded_per_contact(settings, article,
                                                                  make_template, committed,
                                                                  caplog):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    subscribers("Ann Lee", "Bob Ray")
    make_template(Article, "published", recipients="c:subs", content="{% if %}")
    bulk = make_template(Article, "published", recipients="c:subs", content="{% if %}",
                         bulk=True)
    with caplog.at_level(logging.DEBUG, logger="django_vox"), committed():
        ArticleRegistration.published.issue(article)
    assert locmem.outbox == []
    rows = Delivery.objects.filter(status=Delivery.FAILED)
    assert sorted(tuple(r.to_addresses) for r in rows) == [
        ("ann@example.org",), ("ann@example.org", "bob@example.org"), ("bob@example.org",)]
    assert all("TemplateSyntaxError" in r.error or "if" in r.error for r in rows)
    assert rows.get(template=bulk).error.startswith(f"Rendering template {bulk.pk} (locmem) failed")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([r for r in warnings if "Rendering template" in r.getMessage()]) == 2  # one each


def test_render_failure_in_a_chunk_is_recorded_and_the_chunk_finishes(dummy, work, drain, article,
                                                                      make_template, committed):
    subscribers("Ann Lee", "Plato")
    make_template(Article, "published", recipients="c:subs", content="{{ recipient.surname }}")
    with committed():
        ArticleRegistration.published.issue(article)
    assert work(dummy()[0])["failed"] == 1
    assert [m.body for m in locmem.outbox] == ["Lee"]
    chunk = IssueChunk.objects.get()
    assert (chunk.state, chunk.sent, chunk.failed) == (IssueChunk.DONE, 1, 1)


# -- configuration errors -------------------------------------------------------------------
def test_configuration_error_in_open_is_raised_not_recorded(settings, article, make_template,
                                                           committed, caplog):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    settings.DJANGO_VOX_BACKENDS = [*settings.DJANGO_VOX_BACKENDS,
                                    "tests.test_durable.MisconfiguredBackend"]
    subscribers("Ann Lee")
    make_template(Article, "published", backend="misconfigured", recipients="c:subs")
    with caplog.at_level(logging.WARNING, logger="django_vox"):
        with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_EXAMPLE_TOKEN"):
            with committed():
                ArticleRegistration.published.issue(article)
    assert not Delivery.objects.exists()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_transient_failures_retried_are_not_warned_about(settings, article, make_template,
                                                         committed, caplog, httpserver):
    from werkzeug import Response

    from django_vox.models import SiteContact

    settings.DJANGO_VOX_ISSUE_METHOD = "django_vox.tasks.issue"
    settings.TASKS = IMMEDIATE
    settings.DJANGO_VOX_BACKENDS = ["tests.support.worker_backends.WebhookBackend"]
    answers = iter([500, 200])
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: Response("{}", status=next(answers)))
    SiteContact.objects.create(name="hook", protocol="json-webhook",
                               address=httpserver.url_for("/hook"))
    make_template(Article, "published", backend="test-webhook", recipients="si")
    with caplog.at_level(logging.INFO, logger="django_vox"), committed():
        ArticleRegistration.published.issue(article)
    assert Delivery.objects.get().status == Delivery.SENT
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert any("retrying" in r.getMessage() for r in caplog.records)


# -- preferences asked again -------------------------------------------------------------------
def _sent_then_failed(article, make_template, committed, *names):
    people = subscribers(*names)
    make_template(Article, "published", recipients="c:subs")
    with committed():
        ArticleRegistration.published.issue(article)
    Delivery.objects.update(status=Delivery.FAILED, error="boom")
    locmem.outbox.clear()
    published = Notification.objects.get_for_model(Article, "published")
    return people, published


def test_resend_suppresses_a_recipient_who_opted_out_since(article, make_template, committed):
    (ann, bob), published = _sent_then_failed(article, make_template, committed,
                                              "Ann Lee", "Bob Ray")
    row = Delivery.objects.get(to_addresses=["bob@example.org"])
    assert (row.recipient_type.model, row.recipient_id) == ("subscriber", str(bob.pk))
    set_preference(Owner.of_instance(bob), published, "email", False)
    result = resending.resend(Delivery.objects.all())
    assert result == {"sent": 1, "failed": 0, "skipped": 0, "suppressed": 1}
    assert outbox_addresses() == ["ann@example.org"]
    row.refresh_from_db()
    assert row.status == Delivery.SUPPRESSED
    assert row.error.startswith("Suppressed: the recipient turned this off")


def test_retry_task_and_recovery_ask_again(article, make_template, committed):
    (ann, bob), published = _sent_then_failed(article, make_template, committed,
                                              "Ann Lee", "Bob Ray")
    set_preference(Owner.of_instance(ann), published, "", False)
    Delivery.objects.update(status=Delivery.QUEUED, attempts=1,
                            next_attempt_at=timezone.now() - LONG_AGO)
    waiting = {str(pk): 1 for pk in Delivery.objects.values_list("pk", flat=True)}
    assert tasks.send_due.call(waiting) == {"sent": 1, "not_sent": 1}
    assert outbox_addresses() == ["bob@example.org"]
    assert Delivery.objects.get(to_addresses=["ann@example.org"]).status == Delivery.SUPPRESSED
    # Recovery of an abandoned row takes the same path.
    set_preference(Owner.of_instance(bob), published, "email", False)
    Delivery.objects.filter(to_addresses=["bob@example.org"]).update(
        status=Delivery.QUEUED, next_attempt_at=None)
    Delivery.objects.filter(to_addresses=["bob@example.org"]).update(
        updated_at=timezone.now() - LONG_AGO)
    assert tasks.recover(in_background=False) == 0
    assert Delivery.objects.get(to_addresses=["bob@example.org"]).status == Delivery.SUPPRESSED
    assert len(locmem.outbox) == 1


def test_bulk_resend_drops_only_the_addresses_that_opted_out(article, make_template, committed):
    people = subscribers("Ann Lee", "Bob Ray")
    make_template(Article, "published", recipients="c:subs", bulk=True)
    with committed():
        ArticleRegistration.published.issue(article)
    Delivery.objects.update(status=Delivery.FAILED)
    locmem.outbox.clear()
    published = Notification.objects.get_for_model(Article, "published")
    set_preference(Owner(protocol="email", address=people[0].email), published, "email", False)
    assert resending.resend(Delivery.objects.all()).sent == 1
    assert [m.to for m in locmem.outbox] == [["bob@example.org"]]
    assert Delivery.objects.get().to_addresses == ["bob@example.org"]
    assert deliverylog.statuses(Delivery.objects.all()) == {
        Delivery.objects.get().pk: Delivery.SENT}


def test_a_template_whose_recipients_raise_is_recorded_and_the_others_go_on(
        dummy, work, drain, article, make_template, committed, monkeypatch):
    subscribers("A a")
    broken = make_template(Article, "published", recipients="c:subs", backend="locmem-sms")
    make_template(Article, "published", recipients="c:subs")
    real = chunks.template_contacts

    def contacts(template, *args):
        if template.pk == broken.pk:
            raise ZeroDivisionError("a channel's callable failed")
        return real(template, *args)

    monkeypatch.setattr(chunks, "template_contacts", contacts)
    with committed():
        ArticleRegistration.published.issue(article)
    drain()
    assert outbox_addresses() == ["a@example.org"]
    record = BackgroundIssue.objects.get()
    assert record.state == BackgroundIssue.DONE
    assert record.error == f"Template {broken.pk}: ZeroDivisionError: a channel's callable failed"


def test_a_planner_taken_over_stops_before_writing_a_chunk(article, make_template, settings):
    from django_vox.exceptions import PlanningTakenOver

    subscribers("A a", "B b")
    make_template(Article, "published", recipients="c:subs")
    published = Notification.objects.get_for_model(Article, "published")
    ref = chunks.model_ref(article)
    record, first = chunks.start_issue(None, published.pk, ref, None, None)
    _same, second = chunks.start_issue(str(record.pk), published.pk, ref, None, None)
    assert (first, second) == (1, 2)
    issue = chunks.load_issue(record, background=True, schedule_retry=tasks.enqueue_retry,
                              resuming=False)
    with pytest.raises(PlanningTakenOver):
        chunks.plan(record, first, issue, lambda pk: None)
    assert not IssueChunk.objects.exists()
    assert chunks.plan(record, second, issue, lambda pk: None) is not None
    assert IssueChunk.objects.get().size == 2
